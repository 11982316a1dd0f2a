"""Reasoning settings across the three formats (TRANSLATION_PITFALLS 12).

OpenAI asks for reasoning by effort (Chat `reasoning_effort`, Responses `reasoning.effort`);
Anthropic by a token budget (`thinking: {"type": "enabled", "budget_tokens": N}`) or, for
adaptive thinking, by `output_config.effort`. The readers here turn each into a
`canonical.Reasoning` that keeps what the client said; `effort_of` and `budget_of` give an
upstream translator the other form, from the one table below (docs/conversion.md lists it,
docs/decisions.md says why these numbers).
"""

from __future__ import annotations

from typing import Any, Final, get_args

from fased.canonical import Effort, Reasoning
from fased.errors import BadRequest
from fased.wire.fields import optional_int, optional_object, path

MIN_BUDGET: Final = 1024  # Anthropic rejects a smaller `budget_tokens`
BUDGETS: Final[dict[Effort, int]] = {
    "minimal": MIN_BUDGET,
    "low": 4_000,
    "medium": 10_000,
    "high": 32_000,
    "xhigh": 48_000,
    "max": 60_000,
}
# Budget → effort: the first floor the budget reaches (the geometric midpoints between the
# budgets of low, medium and high). Only those three, which OpenAI's reasoning models share.
EFFORT_FLOORS: Final[tuple[tuple[int, Effort], ...]] = ((18_000, "high"), (6_000, "medium"))
LOWEST_EFFORT: Final[Effort] = "low"
ADAPTIVE_EFFORT: Final[Effort] = "high"  # Anthropic's default effort for adaptive thinking

OPENAI_EFFORTS: Final = ("none", *get_args(Effort))
ANTHROPIC_EFFORTS: Final = ("low", "medium", "high", "xhigh", "max")
_EFFORTS: Final[dict[str, Effort]] = {effort: effort for effort in get_args(Effort)}
_THINKING_TYPES: Final = ("enabled", "adaptive", "disabled", "between_tools")


# --- the mapping ---------------------------------------------------------------------------


def budget_of(reasoning: Reasoning) -> int:
    """Anthropic's `budget_tokens`: the client's own (at least the minimum), or its effort's."""
    if reasoning.budget_tokens is not None:
        return max(reasoning.budget_tokens, MIN_BUDGET)
    return BUDGETS[reasoning.effort or "medium"]


def effort_of(reasoning: Reasoning) -> Effort:
    """OpenAI's effort: the client's own, or the one whose range holds its budget."""
    if reasoning.effort is not None:
        return reasoning.effort
    budget = budget_of(reasoning)
    return next((effort for floor, effort in EFFORT_FLOORS if budget >= floor), LOWEST_EFFORT)


def fit_budget(budget: int, max_tokens: int) -> tuple[int, int]:
    """`(budget_tokens, max_tokens)` as Anthropic takes them: the budget at least 1024 and below
    `max_tokens`, which counts the thinking (as OpenAI's output limits count the reasoning).

    A budget that does not fit is cut to half of `max_tokens`, the other half left to the
    answer; a `max_tokens` under twice the minimum cannot hold that, so it is raised by the
    minimum budget instead, and the answer keeps the room the client gave it.
    """
    budget = max(budget, MIN_BUDGET)
    if budget < max_tokens:
        return budget, max_tokens
    if max_tokens >= 2 * MIN_BUDGET:
        return max_tokens // 2, max_tokens
    return MIN_BUDGET, max_tokens + MIN_BUDGET


# --- inbound -------------------------------------------------------------------------------


def read_effort(
    obj: dict[str, Any], key: str, at: str = "", *, allowed: tuple[str, ...] = OPENAI_EFFORTS
) -> Effort | None:
    """An effort among `allowed`; `"none"` and null ask for no reasoning (None)."""
    value = obj.get(key)
    if value is None or (value == "none" and "none" in allowed):
        return None
    effort = _EFFORTS.get(value) if isinstance(value, str) and value in allowed else None
    if effort is None:
        param = path(at, key)
        choices = ", ".join(repr(name) for name in allowed[:-1])
        raise BadRequest(f"`{param}` must be {choices} or {allowed[-1]!r}.", param=param)
    return effort


def read_chat_reasoning(body: dict[str, Any]) -> Reasoning | None:
    """Chat Completions `reasoning_effort`."""
    effort = read_effort(body, "reasoning_effort")
    return None if effort is None else Reasoning(effort)


def read_responses_reasoning(body: dict[str, Any]) -> tuple[Reasoning | None, tuple[str, ...]]:
    """Responses `reasoning.effort`, and the other `reasoning` fields (`summary`, …), which are
    not carried, by name for the log."""
    reasoning = optional_object(body, "reasoning")
    if reasoning is None:
        return None, ()
    effort = read_effort(reasoning, "effort", "reasoning")
    dropped = tuple(
        f"reasoning.{key}"
        for key, value in reasoning.items()
        if key != "effort" and value is not None
    )
    return (None if effort is None else Reasoning(effort)), dropped


def read_thinking(body: dict[str, Any]) -> tuple[Reasoning | None, tuple[str, ...]]:
    """Messages `thinking`: enabled → its budget; adaptive → `output_config.effort`, or
    Anthropic's default "high" without one; disabled and between_tools → no reasoning.
    Returns as well what was not carried, by name for the log."""
    thinking = optional_object(body, "thinking")
    config = optional_object(body, "output_config") or {}
    effort = read_effort(config, "effort", "output_config", allowed=ANTHROPIC_EFFORTS)
    kind = None if thinking is None else thinking.get("type")
    if thinking is not None and kind not in _THINKING_TYPES:
        choices = ", ".join(repr(name) for name in _THINKING_TYPES[:-1])
        raise BadRequest(
            f"`thinking.type` must be {choices} or {_THINKING_TYPES[-1]!r}.",
            param="thinking.type",
        )
    ignored = ["output_config.effort"] if effort is not None and kind != "adaptive" else []
    ignored += ["thinking.type"] if kind == "between_tools" else []
    ignored += ["thinking.display"] if thinking and thinking.get("display") is not None else []
    if thinking is not None and kind == "enabled":
        return Reasoning(budget_tokens=_budget(thinking)), tuple(ignored)
    if kind == "adaptive":
        return Reasoning(effort or ADAPTIVE_EFFORT), tuple(ignored)
    return None, tuple(ignored)


def _budget(thinking: dict[str, Any]) -> int:
    budget = optional_int(thinking, "budget_tokens", "thinking", minimum=MIN_BUDGET)
    if budget is None:
        raise BadRequest(
            "`thinking.budget_tokens` is required with type 'enabled': the most tokens Claude "
            f"may think, at least {MIN_BUDGET} and below `max_tokens`.",
            param="thinking.budget_tokens",
        )
    return budget
