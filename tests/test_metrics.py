"""`Metrics` alone: labels stay bounded, and recording never raises."""

from __future__ import annotations

from fased.metrics import MAX_MODELS, Metrics
from tests.web.test_metrics import parse


def labelled(**labels: str) -> frozenset[tuple[str, str]]:
    return frozenset({"worker": "0", **labels}.items())


def test_each_worker_labels_its_own_series() -> None:
    metrics = Metrics(worker=3)
    metrics.request("GET", "/health", 200, 0.001)
    samples = parse(metrics.render().decode())
    labels = frozenset(
        {"method": "GET", "route": "/health", "status": "200", "worker": "3"}.items()
    )
    assert samples[("fased_http_requests_total", labels)] == 1
    assert all(dict(labels).get("worker") == "3" for _, labels in samples)


def test_unknown_methods_and_unmatched_routes_share_one_series() -> None:
    metrics = Metrics()
    for method in ("PROPFIND", "MKCOL", "SEARCH"):
        metrics.request(method, None, 405, 0.001)
    samples = parse(metrics.render().decode())
    key = labelled(method="other", route="other", status="405")
    assert samples[("fased_http_requests_total", key)] == 3
    assert samples[("fased_http_request_duration_seconds_count", labelled(route="other"))] == 3


def test_models_past_the_cap_are_counted_as_other() -> None:
    metrics = Metrics()
    for index in range(MAX_MODELS + 2):
        metrics.usage("ollama", f"ollama/m{index}", tokens=(1, 1, 0, 0), cost_usd=None)
    samples = parse(metrics.render().decode())
    other = labelled(provider="ollama", model="other", kind="input")
    assert samples[("fased_tokens_total", other)] == 2
    models = {dict(labels).get("model") for name, labels in samples if name == "fased_tokens_total"}
    assert len(models) == MAX_MODELS + 1


def test_usage_ignores_what_a_counter_cannot_take() -> None:
    metrics = Metrics()
    metrics.usage("local", "small", tokens=(5, -1, 0, 0), cost_usd=-0.5)
    samples = parse(metrics.render().decode())
    tokens = {"provider": "local", "model": "small"}
    assert samples[("fased_tokens_total", labelled(kind="input", **tokens))] == 5
    assert samples[("fased_tokens_total", labelled(kind="output", **tokens))] == 0
    assert samples[("fased_cost_usd_total", labelled(**tokens))] == 0
