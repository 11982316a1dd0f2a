"""Token estimates: about four characters per token.

An ESTIMATE, not a tokenizer: good enough for the echo model's usage, history budgets and credit
holds before a call, never for billing a real upstream (the upstream's own usage is billed).
"""

from __future__ import annotations

from fased.canonical import ImagePart, Message, Part, ReasoningPart, TextPart, ToolCallPart

CHARS_PER_TOKEN = 4
MESSAGE_OVERHEAD_TOKENS = 4  # role and separators, as chat formats frame each message
IMAGE_TOKENS = 85  # a low-detail image in OpenAI's accounting


def estimate_tokens(text: str) -> int:
    """About one token per four characters, rounded up; 0 for the empty string."""
    return -(-len(text) // CHARS_PER_TOKEN)


def _part_tokens(part: Part) -> int:
    if isinstance(part, TextPart):
        return estimate_tokens(part.text)
    if isinstance(part, ImagePart):
        return IMAGE_TOKENS
    if isinstance(part, ToolCallPart):
        return estimate_tokens(part.name) + estimate_tokens(part.arguments)
    if isinstance(part, ReasoningPart):
        return estimate_tokens(part.text)
    return estimate_tokens(part.content)


def estimate_message_tokens(message: Message) -> int:
    """An estimate of what `message` costs as input: its parts plus a small per-message overhead."""
    return MESSAGE_OVERHEAD_TOKENS + sum(_part_tokens(part) for part in message.parts)
