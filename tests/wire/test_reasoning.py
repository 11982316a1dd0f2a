"""Reasoning settings across the formats (pitfall 12): the effort ↔ budget table, each inbound
form, each upstream form, and the values that are refused.

The fixtures are `golden/reasoning/inbound.json` and `golden/reasoning/upstream.json`; the
bodies sent upstream are also checked against the official SDKs' request types.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable
from typing import Any, get_args

import pytest
from anthropic.types.message_create_params import MessageCreateParamsStreaming
from openai.types.shared import ReasoningEffort
from pydantic import TypeAdapter

from fased.canonical import ChatRequest, Effort, Message, Reasoning, Reply, TextPart
from fased.errors import BadRequest
from fased.wire import (
    anthropic_messages,
    anthropic_messages_upstream,
    openai_chat,
    openai_chat_upstream,
    openai_responses,
    openai_responses_upstream,
)
from fased.wire.reasoning import BUDGETS, MIN_BUDGET, budget_of, effort_of, fit_budget
from tests.wire.golden import canonical, load

GOLDEN = "reasoning"
USER = {"role": "user", "content": "hi"}
MINIMAL_BODIES: dict[str, dict[str, Any]] = {
    "chat": {"model": "m", "messages": [USER]},
    "responses": {"model": "m", "input": "hi"},
    "messages": {"model": "m", "max_tokens": 64, "messages": [USER]},
}
OPENAI_EFFORT: TypeAdapter[Any] = TypeAdapter(ReasoningEffort)
ANTHROPIC_BODY: TypeAdapter[Any] = TypeAdapter(MessageCreateParamsStreaming)


def parse(fmt: str, body: dict[str, Any]) -> tuple[ChatRequest, tuple[str, ...]]:
    """The canonical request and the fields listed for the log, whatever the format."""
    if fmt == "chat":
        return openai_chat.parse_request(body).request, ()
    if fmt == "responses":
        inbound = openai_responses.parse_request(body)
        return inbound.request, inbound.dropped
    messages = anthropic_messages.parse_request(body)
    return messages.request, messages.ignored


def build(api: str, request: ChatRequest, default_max_tokens: int) -> tuple[dict[str, Any], Any]:
    """The upstream body and what the builder reported as dropped, whatever the API."""
    if api == "chat":
        return openai_chat_upstream.build_upstream_request(request, "up"), ()
    if api == "responses":
        built = openai_responses_upstream.build_upstream_request(request, "up")
        return built.body, built.dropped
    messages = anthropic_messages_upstream.build_upstream_request(
        request, "up", default_max_tokens=default_max_tokens
    )
    return messages.body, messages.dropped


def case_ids(cases: list[dict[str, Any]]) -> list[str]:
    return [case["name"] for case in cases]


# --- the table -----------------------------------------------------------------------------

ROUND_TRIP: list[Effort] = ["low", "medium", "high"]


@pytest.mark.parametrize("effort", ROUND_TRIP)
def test_effort_to_budget_to_effort_is_stable(effort: Effort) -> None:
    budget = budget_of(Reasoning(effort))
    assert effort_of(Reasoning(budget_tokens=budget)) == effort


@pytest.mark.parametrize("budget", [1024, 2048, 4000, 8000, 10000, 16000, 31999, 32000, 64000])
def test_budget_to_effort_to_budget_is_stable_after_one_step(budget: int) -> None:
    """A budget lands on its effort's budget, which then stays put."""
    effort = effort_of(Reasoning(budget_tokens=budget))
    settled = budget_of(Reasoning(effort))
    assert effort_of(Reasoning(budget_tokens=settled)) == effort


def test_efforts_outside_low_to_high_come_back_as_the_nearest_of_them() -> None:
    """minimal, xhigh and max are not taken by every OpenAI reasoning model: a budget never
    maps to them."""
    back = {e: effort_of(Reasoning(budget_tokens=BUDGETS[e])) for e in get_args(Effort)}
    assert back == {
        "minimal": "low",
        "low": "low",
        "medium": "medium",
        "high": "high",
        "xhigh": "high",
        "max": "high",
    }


def test_budgets_grow_with_the_effort_and_efforts_with_the_budget() -> None:
    budgets = [BUDGETS[e] for e in get_args(Effort)]
    assert budgets == sorted(set(budgets)) and budgets[0] == MIN_BUDGET
    order = {"low": 0, "medium": 1, "high": 2}
    efforts = [order[effort_of(Reasoning(budget_tokens=b))] for b in range(0, 70_000, 500)]
    assert efforts == sorted(efforts)


def test_a_budget_below_anthropics_minimum_is_raised_to_it() -> None:
    assert budget_of(Reasoning(budget_tokens=10)) == MIN_BUDGET


@pytest.mark.parametrize(
    ("budget", "max_tokens", "expected"),
    [
        (4000, 8000, (4000, 8000)),
        (8000, 8000, (4000, 8000)),
        (32000, 4096, (2048, 4096)),
        (4000, 2048, (1024, 2048)),
        (4000, 2047, (1024, 3071)),
        (1024, 1, (1024, 1025)),
        (1024, 1025, (1024, 1025)),
    ],
)
def test_fit_budget(budget: int, max_tokens: int, expected: tuple[int, int]) -> None:
    assert fit_budget(budget, max_tokens) == expected


def test_fit_budget_always_gives_what_anthropic_accepts() -> None:
    for budget, max_tokens in itertools.product(range(0, 70_000, 997), range(1, 70_000, 1009)):
        fitted, raised = fit_budget(budget, max_tokens)
        assert MIN_BUDGET <= fitted < raised and raised >= max_tokens
        if MIN_BUDGET <= budget < max_tokens:
            assert (fitted, raised) == (budget, max_tokens)


# --- inbound -------------------------------------------------------------------------------

INBOUND = load(GOLDEN, "inbound")["cases"]


@pytest.mark.parametrize("case", INBOUND, ids=case_ids(INBOUND))
def test_inbound_golden(case: dict[str, Any]) -> None:
    request, listed = parse(case["format"], {**MINIMAL_BODIES[case["format"]], **case["fields"]})
    assert request.reasoning == canonical(case["reasoning"])
    assert list(listed) == case["ignored"]


REJECTED: list[tuple[str, dict[str, Any], str, str]] = [
    ("chat", {"reasoning_effort": "extreme"}, "reasoning_effort", "'high', 'xhigh' or 'max'."),
    ("chat", {"reasoning_effort": 3}, "reasoning_effort", "must be 'none', 'minimal', 'low'"),
    ("chat", {"reasoning_effort": "High"}, "reasoning_effort", "must be 'none'"),
    ("responses", {"reasoning": "high"}, "reasoning", "`reasoning` must be a JSON object."),
    ("responses", {"reasoning": {"effort": "turbo"}}, "reasoning.effort", "must be 'none'"),
    ("messages", {"thinking": "enabled"}, "thinking", "`thinking` must be a JSON object."),
    (
        "messages",
        {"thinking": {"type": "on"}},
        "thinking.type",
        "must be 'enabled', 'adaptive', 'disabled' or 'between_tools'.",
    ),
    ("messages", {"thinking": {"budget_tokens": 2048}}, "thinking.type", "must be 'enabled'"),
    (
        "messages",
        {"thinking": {"type": "enabled"}},
        "thinking.budget_tokens",
        "is required with type 'enabled'",
    ),
    (
        "messages",
        {"thinking": {"type": "enabled", "budget_tokens": 512}},
        "thinking.budget_tokens",
        "integer of at least 1024",
    ),
    (
        "messages",
        {"thinking": {"type": "enabled", "budget_tokens": "2048"}},
        "thinking.budget_tokens",
        "integer of at least 1024",
    ),
    (
        "messages",
        {"thinking": {"type": "adaptive"}, "output_config": {"effort": "minimal"}},
        "output_config.effort",
        "must be 'low', 'medium', 'high', 'xhigh' or 'max'.",
    ),
]


@pytest.mark.parametrize(("fmt", "fields", "param", "message"), REJECTED)
def test_invalid_settings_are_a_bad_request_naming_the_allowed_values(
    fmt: str, fields: dict[str, Any], param: str, message: str
) -> None:
    with pytest.raises(BadRequest) as caught:
        parse(fmt, {**MINIMAL_BODIES[fmt], **fields})
    assert caught.value.param == param
    assert message in caught.value.message
    assert caught.value.status == 400


# --- upstream ------------------------------------------------------------------------------

UPSTREAM = load(GOLDEN, "upstream")["cases"]
BASE = ChatRequest("m", (Message("user", (TextPart("hi"),)),))


def request_of(fields: dict[str, Any]) -> ChatRequest:
    values = {
        key: tuple(canonical(value)) if isinstance(value, list) else canonical(value)
        for key, value in fields.items()
    }
    return dataclasses.replace(BASE, **values)


@pytest.mark.parametrize("case", UPSTREAM, ids=case_ids(UPSTREAM))
def test_upstream_golden(case: dict[str, Any]) -> None:
    request = request_of(case["request"])
    body, dropped = build(case["api"], request, case.get("default_max_tokens", 4096))
    assert {key: body.get(key) for key in case["sent"]} == case["sent"]
    assert list(dropped) == case["dropped"]
    SDK_CHECKS[case["api"]](body)


def _openai_effort(body: dict[str, Any]) -> None:
    effort = body.get("reasoning_effort", (body.get("reasoning") or {}).get("effort"))
    OPENAI_EFFORT.validate_python(effort)


def _anthropic_body(body: dict[str, Any]) -> None:
    ANTHROPIC_BODY.validate_python({**body, "stream": True})
    thinking = body.get("thinking")
    if thinking is not None:  # what the SDK's types only document
        assert MIN_BUDGET <= thinking["budget_tokens"] < body["max_tokens"]


SDK_CHECKS: dict[str, Callable[[dict[str, Any]], None]] = {
    "chat": _openai_effort,
    "responses": _openai_effort,
    "messages": _anthropic_body,
}


@pytest.mark.parametrize("effort", get_args(Effort))
@pytest.mark.parametrize("max_tokens", [None, 1, 1500, 4096, 40_000])
def test_every_effort_gives_anthropic_a_valid_budget(
    effort: Effort, max_tokens: int | None
) -> None:
    request = dataclasses.replace(BASE, reasoning=Reasoning(effort), max_tokens=max_tokens)
    body, _ = build("messages", request, 64_000)
    _anthropic_body(body)
    assert body["thinking"]["type"] == "enabled"


def test_a_responses_request_echoes_its_effort() -> None:
    body = {**MINIMAL_BODIES["responses"], "reasoning": {"effort": "low"}}
    inbound = openai_responses.parse_request(body)
    rendered = openai_responses.render_response(
        Reply(text="ok"), response_id="resp_1", model="m", created=0, request=inbound
    )
    assert rendered["reasoning"] == {"effort": "low", "summary": None}
