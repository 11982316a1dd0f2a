"""The canonical conversation (SPEC §6.1).

Every wire format translates into and out of these types; the agent run and the providers see
nothing else. They are plain frozen dataclasses with slots: cheap to build on the hot path,
validated at the edge by the wire translators, never by the types themselves.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Role = Literal["user", "assistant", "tool"]
FinishReason = Literal["stop", "length", "tool_calls", "content_filter", "error"]
InboundFormat = Literal["chat", "messages", "responses", "ws", "cli"]
Effort = Literal["minimal", "low", "medium", "high", "xhigh", "max"]


CacheHint = Literal["5m", "1h"]
"""A prompt-cache breakpoint after a block, and how long the cache lives (Anthropic's
`cache_control: {"type": "ephemeral", "ttl": …}`; pitfall 9: kept toward Anthropic, dropped
toward OpenAI, which caches by itself). A hint, not content: it takes no part in equality (a
resent history still matches its stored turns) and is never stored with a transcript."""


@dataclass(frozen=True, slots=True)
class TextPart:
    text: str
    cache: CacheHint | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class ImagePart:
    """An image by URL; base64 images travel as `data:<media type>;base64,…` URLs."""

    url: str
    detail: str | None = None


@dataclass(frozen=True, slots=True)
class ToolCallPart:
    """A call the assistant made. `arguments` is the JSON text exactly as the model produced it."""

    id: str
    name: str
    arguments: str


@dataclass(frozen=True, slots=True)
class ReasoningPart:
    """A model's thinking, carried between turns (Anthropic requires signed thinking blocks to
    come back unchanged before a tool result; Responses has reasoning items). `redacted` blocks
    carry only opaque `signature` data."""

    text: str
    signature: str | None = None
    redacted: bool = False


@dataclass(frozen=True, slots=True)
class ToolResultPart:
    tool_call_id: str
    content: str
    is_error: bool = False
    cache: CacheHint | None = field(default=None, compare=False)


Part = TextPart | ImagePart | ToolCallPart | ToolResultPart | ReasoningPart


@dataclass(frozen=True, slots=True)
class Message:
    role: Role
    parts: tuple[Part, ...]
    name: str | None = None

    def text(self) -> str:
        """The message's text parts joined, for token estimates, previews and the echo model."""
        return "".join(p.text for p in self.parts if isinstance(p, TextPart))


@dataclass(frozen=True, slots=True)
class ToolSpec:
    name: str
    description: str | None = None
    parameters: dict[str, Any] = field(default_factory=dict)
    strict: bool | None = None
    cache: CacheHint | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class NamedTool:
    """`tool_choice` forcing one tool by name (a tool may well be called "auto")."""

    name: str


ToolChoice = Literal["auto", "none", "required"] | NamedTool


@dataclass(frozen=True, slots=True)
class OutputFormat:
    type: Literal["text", "json_object", "json_schema"]
    name: str | None = None
    schema: dict[str, Any] | None = None
    strict: bool | None = None


@dataclass(frozen=True, slots=True)
class Reasoning:
    """How much the model should think before it answers, as the client's format said it:
    OpenAI's `effort` or Anthropic's `budget_tokens` (one of the two is set). An upstream
    translator that needs the other form derives it with `fased.wire.reasoning`."""

    effort: Effort | None = None
    budget_tokens: int | None = None


@dataclass(frozen=True, slots=True)
class ChatRequest:
    """One model call, independent of the format it arrived in.

    `system` holds the system segments in order; the agent run puts the persona first and the
    request's own system/developer text after it. `reasoning` None leaves the model's default.
    """

    model: str
    messages: tuple[Message, ...]
    system: tuple[str, ...] = ()
    # cache breakpoints after system segments: empty, or one hint (or None) per segment
    system_cache: tuple[CacheHint | None, ...] = ()
    tools: tuple[ToolSpec, ...] = ()
    tool_choice: ToolChoice | None = None
    temperature: float | None = None
    top_p: float | None = None
    max_tokens: int | None = None
    stop: tuple[str, ...] = ()
    output_format: OutputFormat | None = None
    parallel_tool_calls: bool | None = None
    user: str | None = None
    stream: bool = False
    reasoning: Reasoning | None = None


# --- stream events -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MessageStart:
    id: str
    model: str


@dataclass(frozen=True, slots=True)
class TextDelta:
    text: str


@dataclass(frozen=True, slots=True)
class ToolCallStart:
    index: int
    id: str
    name: str


@dataclass(frozen=True, slots=True)
class ToolCallDelta:
    index: int
    arguments: str


@dataclass(frozen=True, slots=True)
class ToolCallEnd:
    index: int


@dataclass(frozen=True, slots=True)
class ReasoningDelta:
    text: str


@dataclass(frozen=True, slots=True)
class ReasoningEnd:
    """A reasoning block is complete; `signature` is what must be sent back with it."""

    signature: str | None = None


@dataclass(frozen=True, slots=True)
class Usage:
    """Token counts as OpenAI counts them: `input_tokens` includes the cached reads
    (`cached_input_tokens`) and cache writes (`cache_write_input_tokens`); `output_tokens`
    includes `reasoning_tokens`. The Anthropic translator adds its separate counts together."""

    input_tokens: int = 0
    output_tokens: int = 0
    cached_input_tokens: int = 0
    reasoning_tokens: int = 0
    cache_write_input_tokens: int = 0
    cost_usd: float | None = None

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens


@dataclass(frozen=True, slots=True)
class Finish:
    reason: FinishReason


@dataclass(frozen=True, slots=True)
class StreamError:
    """An error after the stream started; each format ends its stream with its own error shape."""

    status: int
    code: str
    message: str


Event = (  # from the agent run: MessageStart, content, Finish | StreamError, then one Usage
    MessageStart
    | TextDelta
    | ReasoningDelta
    | ReasoningEnd
    | ToolCallStart
    | ToolCallDelta
    | ToolCallEnd
    | Usage
    | Finish
    | StreamError
)


@dataclass(slots=True)
class Reply:
    """A whole reply assembled from events: what a non-streamed response is rendered from."""

    id: str = ""
    model: str = ""
    text: str = ""
    tool_calls: list[ToolCallPart] = field(default_factory=list)
    reasoning: list[ReasoningPart] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)
    finish: FinishReason = "stop"

    def message(self) -> Message:
        """The assistant turn: reasoning first (Anthropic wants it back first), text, calls."""
        parts: list[Part] = list(self.reasoning)
        if self.text:
            parts.append(TextPart(self.text))
        parts.extend(self.tool_calls)
        return Message("assistant", tuple(parts))


class ReplyBuilder:
    """Folds stream events into a `Reply`; shared by every non-streamed renderer and the run."""

    __slots__ = ("_args", "_calls", "_text", "_thinking", "reply", "started")

    def __init__(self) -> None:
        self.reply = Reply()
        self.started = False
        self._thinking: list[str] = []
        self._text: list[str] = []
        self._calls: dict[int, tuple[str, str]] = {}
        self._args: dict[int, list[str]] = {}

    def add(self, event: Event) -> None:
        self.started = True
        if isinstance(event, TextDelta):
            self._text.append(event.text)
        elif isinstance(event, ToolCallStart):
            self._calls[event.index] = (event.id, event.name)
            self._args.setdefault(event.index, [])
        elif isinstance(event, ToolCallDelta):
            self._args.setdefault(event.index, []).append(event.arguments)
        elif isinstance(event, Usage):
            self.reply.usage = event
        elif isinstance(event, Finish):
            self.reply.finish = event.reason
        elif isinstance(event, MessageStart):
            self.reply.id, self.reply.model = event.id, event.model
        elif isinstance(event, ReasoningDelta):
            self._thinking.append(event.text)
        elif isinstance(event, ReasoningEnd):
            text, self._thinking = "".join(self._thinking), []
            self.reply.reasoning.append(ReasoningPart(text, event.signature))
        elif isinstance(event, StreamError):
            self.reply.finish = "error"

    def snapshot(self) -> Reply:
        """The reply so far; may be called again as more events arrive."""
        self.reply.text = "".join(self._text)
        self.reply.tool_calls = [
            ToolCallPart(call_id, name, "".join(self._args.get(index, [])))
            for index, (call_id, name) in sorted(self._calls.items())
        ]
        return self.reply

    build = snapshot
