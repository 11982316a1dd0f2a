"""OpenAI Responses items ↔ canonical messages.

`read_items` turns input items (or a stored Response's output items) into system segments and
messages; `items_to_messages` is the same for a history alone. `messages_to_items` goes the
other way, for an upstream Responses request. The items are OpenAI's: messages (`role`
user/assistant/system/developer, with or without `"type": "message"`), `function_call`,
`function_call_output` and `reasoning`.

Reading, the assistant-side items of one turn (reasoning, assistant messages, function calls)
become ONE assistant `Message`, in order: that is what one model response is. Tool-call ids are
the `call_id`s, unchanged both ways (pitfall 6); item `id`s are ignored, never matched on, and
never sent upstream (the gateway calls with `store: false`, where OpenAI rejects ids of items
it did not store).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Final

import orjson

from fased.canonical import (
    ImagePart,
    Message,
    Part,
    ReasoningPart,
    TextPart,
    ToolCallPart,
    ToolResultPart,
)
from fased.errors import BadRequest
from fased.wire.fields import (
    content_parts,
    expect_list,
    expect_object,
    optional_string,
    path,
    required_string,
)

_USER_PARTS: Final = ("input_text", "input_image")
_ASSISTANT_PARTS: Final = ("output_text", "refusal")
_TEXT_PARTS: Final = ("input_text",)


def read_items(items: list[Any], param: str) -> tuple[tuple[str, ...], tuple[Message, ...]]:
    """Items → the system segments (system/developer messages, in order) and the messages."""
    history = _read_items(items, param)
    return tuple(history.system), history.finish()


def items_to_messages(items: Any, param: str = "output") -> tuple[Message, ...]:
    """Input or output items → canonical messages, e.g. a stored Response's `output`.

    System and developer messages are not turns of a history: they are refused here.
    """
    history = _read_items(expect_list(items, param), param)
    if history.system:
        raise BadRequest(
            f"`{param}` holds system or developer messages; send them as `instructions`.",
            param=param,
        )
    return history.finish()


class _History:
    """Collects system segments and messages; assistant-side items join the open turn."""

    __slots__ = ("_assistant", "messages", "system")

    def __init__(self) -> None:
        self.system: list[str] = []
        self.messages: list[Message] = []
        self._assistant: list[Part] = []

    def assistant(self, *parts: Part) -> None:
        self._assistant.extend(parts)

    def add(self, message: Message) -> None:
        self._flush()
        self.messages.append(message)

    def finish(self) -> tuple[Message, ...]:
        self._flush()
        return tuple(self.messages)

    def _flush(self) -> None:
        if self._assistant:
            self.messages.append(Message("assistant", tuple(self._assistant)))
            self._assistant = []


_ItemReader = Callable[[dict[str, Any], str, _History], None]


def _read_items(items: list[Any], param: str) -> _History:
    history = _History()
    for index, raw in enumerate(items):
        at = f"{param}[{index}]"
        item = expect_object(raw, at)
        kind = item.get("type")
        if kind is None and "role" in item:  # EasyInputMessage: a message without its type
            kind = "message"
        reader = _ITEM_READERS.get(kind) if isinstance(kind, str) else None
        if reader is None:
            raise BadRequest(
                f"Input item type {kind!r} is not supported; use message, function_call, "
                "function_call_output or reasoning.",
                param=f"{at}.type",
            )
        reader(item, at, history)
    return history


def _message_item(item: dict[str, Any], at: str, history: _History) -> None:
    role, content = item.get("role"), item.get("content")
    if role in ("system", "developer"):  # hoisted, in order, wherever they appear (pitfall 8)
        text = _text(_content_parts(content, path(at, "content"), _TEXT_PARTS))
        if text:
            history.system.append(text)
    elif role == "user":
        if content is None:
            raise BadRequest(
                f"`{at}.content` is required on user messages: send a string or content parts.",
                param=path(at, "content"),
            )
        history.add(Message("user", _content_parts(content, path(at, "content"), _USER_PARTS)))
    elif role == "assistant":
        history.assistant(*_content_parts(content, path(at, "content"), _ASSISTANT_PARTS))
    else:
        raise BadRequest(
            f"`{at}.role` must be user, assistant, system or developer; got {role!r}.",
            param=path(at, "role"),
        )


def _function_call_item(item: dict[str, Any], at: str, history: _History) -> None:
    call_id = required_string(item, "call_id", at)
    name = required_string(item, "name", at)
    arguments = item.get("arguments")
    if isinstance(arguments, dict):  # lenient clients send the object itself
        arguments = orjson.dumps(arguments).decode()
    elif arguments is None:
        arguments = ""
    elif not isinstance(arguments, str):
        raise BadRequest(f"`{at}.arguments` must be a string of JSON.", param=f"{at}.arguments")
    history.assistant(ToolCallPart(call_id, name, arguments))


def _function_call_output_item(item: dict[str, Any], at: str, history: _History) -> None:
    """`output` is a string (pitfall 5); a list of `input_text` parts is joined."""
    call_id = required_string(item, "call_id", at)
    output = item.get("output")
    if output is None:
        raise BadRequest(
            f"`{at}.output` is required: the tool's result as a string.", param=f"{at}.output"
        )
    content = _text(_content_parts(output, f"{at}.output", _TEXT_PARTS))
    history.add(Message("tool", (ToolResultPart(call_id, content),)))


def _reasoning_item(item: dict[str, Any], at: str, history: _History) -> None:
    """The summary (else the raw reasoning text) and `encrypted_content` as the signature.
    An item with neither (a bare reference to a server-stored item) carries nothing."""
    summary = _joined_texts(item.get("summary"), f"{at}.summary")
    text = summary or _joined_texts(item.get("content"), f"{at}.content")
    signature = optional_string(item, "encrypted_content", at)
    if text or signature:
        history.assistant(ReasoningPart(text, signature=signature))


_ITEM_READERS: Final[dict[str, _ItemReader]] = {
    "message": _message_item,
    "function_call": _function_call_item,
    "function_call_output": _function_call_output_item,
    "reasoning": _reasoning_item,
}


def _joined_texts(raw: Any, param: str) -> str:
    """`[{"type": "summary_text", "text": …}, …]` joined by blank lines; null is none."""
    texts = []
    for index, entry in enumerate([] if raw is None else expect_list(raw, param)):
        part = expect_object(entry, f"{param}[{index}]")
        text = part.get("text")
        if not isinstance(text, str):
            at = f"{param}[{index}].text"
            raise BadRequest(f"`{at}` must be a string.", param=at)
        if text:
            texts.append(text)
    return "\n\n".join(texts)


def _content_parts(content: Any, param: str, allowed: tuple[str, ...]) -> tuple[Part, ...]:
    return content_parts(content, param, allowed, _read_part)


def _read_part(part: dict[str, Any], param: str, kind: str) -> Part | None:
    if kind == "input_image":
        return _image_part(part, param)
    key = "refusal" if kind == "refusal" else "text"
    text = part.get(key)
    if not isinstance(text, str):
        raise BadRequest(f"`{param}.{key}` must be a string.", param=f"{param}.{key}")
    return TextPart(text) if text else None


def _image_part(part: dict[str, Any], param: str) -> ImagePart:
    if part.get("file_id") is not None:
        raise BadRequest(
            "Images by `file_id` are not supported; send `image_url` (a URL or a data: URL).",
            param=f"{param}.file_id",
        )
    return ImagePart(
        required_string(part, "image_url", param), detail=optional_string(part, "detail", param)
    )


def _text(parts: tuple[Part, ...]) -> str:
    return "".join(part.text for part in parts if isinstance(part, TextPart))


# --- writing: canonical messages → input items (the upstream request) -------------------------

# OpenAI's `encrypted_content` is a Fernet token; reasoning signed by another provider (an
# Anthropic thinking signature) would be rejected, so only OpenAI's own travels back upstream.
_OPENAI_ENCRYPTED_PREFIX: Final = "gAAAAA"


def messages_to_items(messages: Sequence[Message]) -> tuple[list[dict[str, Any]], tuple[str, ...]]:
    """Messages → input items, and what they carried that Responses cannot express.

    Tool results go first (they answer the previous turn's calls), as `function_call_output`
    with the result as a string (pitfall 5). Assistant text becomes `output_text` in a
    message item; calls become `function_call` items with their `call_id`, without an `id`.
    """
    writer = _ItemWriter()
    for message in messages:
        writer.message(message)
    return writer.items, tuple(sorted(writer.dropped))


class _ItemWriter:
    __slots__ = ("dropped", "items")

    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []
        self.dropped: set[str] = set()

    def message(self, message: Message) -> None:
        if message.name is not None:
            self.dropped.add("message name")
        rest = [part for part in message.parts if not isinstance(part, ToolResultPart)]
        results = [part for part in message.parts if isinstance(part, ToolResultPart)]
        for result in results:
            self._tool_result(result)
        if message.role == "assistant":
            self._assistant(rest)
        elif rest or not results:  # a tool message's results need no user item around them
            self.items.append(self._user(rest))

    def _tool_result(self, part: ToolResultPart) -> None:
        if part.is_error:
            self.dropped.add("tool result is_error")
        self.items.append(
            {"type": "function_call_output", "call_id": part.tool_call_id, "output": part.content}
        )

    def _user(self, parts: Sequence[Part]) -> dict[str, Any]:
        content: list[dict[str, Any]] = []
        for part in parts:
            if isinstance(part, TextPart):
                content.append({"type": "input_text", "text": part.text})
            elif isinstance(part, ImagePart):
                image = {"type": "input_image", "image_url": part.url}
                content.append({**image, "detail": part.detail or "auto"})
            else:
                self.dropped.add(f"{type(part).__name__} in a user message")
        return {"type": "message", "role": "user", "content": content}

    def _assistant(self, parts: Sequence[Part]) -> None:
        """In order; consecutive text parts share one message item, empty text is dropped."""
        content: list[dict[str, Any]] | None = None
        for part in parts:
            if isinstance(part, TextPart):
                if part.text:
                    if content is None:
                        content = []
                        item = {"type": "message", "role": "assistant", "content": content}
                        self.items.append(item)
                    content.append({"type": "output_text", "text": part.text})
                continue
            content = None
            if isinstance(part, ToolCallPart):
                call = {"call_id": part.id, "name": part.name, "arguments": part.arguments}
                self.items.append({"type": "function_call", **call})
            elif isinstance(part, ReasoningPart):
                self._reasoning(part)
            else:
                self.dropped.add(f"{type(part).__name__} in an assistant message")

    def _reasoning(self, part: ReasoningPart) -> None:
        """Sent back only with OpenAI's own `encrypted_content`: without it, or signed by
        another provider, a reasoning item is rejected (`store: false` keeps no item ids)."""
        signature = part.signature or ""
        if not signature.startswith(_OPENAI_ENCRYPTED_PREFIX):
            self.dropped.add("reasoning without OpenAI encrypted_content")
            return
        summary = [{"type": "summary_text", "text": part.text}] if part.text else []
        self.items.append({"type": "reasoning", "summary": summary, "encrypted_content": signature})
