"""Prometheus metrics (SPEC §5.4, `GET /metrics`): one registry per app, never the global one.

`create_app` builds one `Metrics` and hands it to what records: the request middleware (every
HTTP request), `Upstream` (the upstream's time to response headers, its failures), the usage
recorder (tokens and cost of every model call) and `stream_sse` (open streams); the WebSocket
client count is read from the channel when scraped. Label children are resolved once and kept
in dicts, so a request costs a dict lookup and the library's own increments.

Every series carries `worker`: with `fased gateway --workers N` each worker process has its own
registry and a scrape reports the worker that answered (docs/decisions.md).
"""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client import generate_latest as _render

__all__ = ["CONTENT_TYPE", "Metrics"]

CONTENT_TYPE = CONTENT_TYPE_LATEST
# a gateway's latencies: a few ms (health, models) to minutes (a long stream)
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600)
# a client can send any method token: keep the label's values bounded
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
OTHER = "other"
TOKEN_KINDS = ("input", "output", "cached_input", "reasoning")
# a provider's `models` pattern (`ollama/*`) takes any model name a caller sends: past this many
# (provider, model) pairs, new ones are counted under model `other`
MAX_MODELS = 500

_Request = tuple[Counter, Histogram]
_Usage = tuple[tuple[Counter, ...], Counter]  # the token kinds' counters, the cost's


class Metrics:
    """The gateway's metrics; `render()` is the scrape."""

    __slots__ = (
        "_cost",
        "_errors",
        "_requests",
        "_requests_by",
        "_seconds",
        "_tokens",
        "_upstream_seconds",
        "_usage_by",
        "_worker",
        "_ws_clients",
        "open_streams",
        "registry",
    )

    def __init__(self, worker: int = 0) -> None:
        self.registry = CollectorRegistry()
        self._worker = str(worker)
        registry, worker_label = self.registry, ("worker",)
        self._requests = Counter(
            "fased_http_requests",
            "HTTP requests answered, by method, matched route (`other`: none) and status.",
            ("method", "route", "status", *worker_label),
            registry=registry,
        )
        self._seconds = Histogram(
            "fased_http_request_duration_seconds",
            "Time to answer an HTTP request (a stream: until its end), by matched route.",
            ("route", *worker_label),
            buckets=BUCKETS,
            registry=registry,
        )
        self._upstream_seconds = Histogram(
            "fased_upstream_request_duration_seconds",
            "Time until an upstream provider's response headers arrived.",
            ("provider", *worker_label),
            buckets=BUCKETS,
            registry=registry,
        )
        self._errors = Counter(
            "fased_upstream_errors",
            "Upstream calls that failed, by provider and the gateway's error code.",
            ("provider", "code", *worker_label),
            registry=registry,
        )
        self._tokens = Counter(
            "fased_tokens",
            "Tokens of model calls, by kind (input includes cached_input).",
            ("provider", "model", "kind", *worker_label),
            registry=registry,
        )
        self._cost = Counter(
            "fased_cost_usd",
            "Cost of model calls in USD (catalog prices; unpriced models add nothing).",
            ("provider", "model", *worker_label),
            registry=registry,
        )
        self.open_streams = Gauge(
            "fased_open_streams",
            "SSE responses in flight.",
            worker_label,
            registry=registry,
        ).labels(self._worker)
        self._ws_clients = Gauge(
            "fased_ws_clients",
            "Connected WebSocket control-channel clients (after their handshake).",
            worker_label,
            registry=registry,
        ).labels(self._worker)
        self._requests_by: dict[tuple[str, str, int], _Request] = {}
        self._usage_by: dict[tuple[str, str], _Usage] = {}

    def render(self) -> bytes:
        """The Prometheus text exposition of every metric (`CONTENT_TYPE`)."""
        return _render(self.registry)

    def count_ws_clients(self, clients: Callable[[], int]) -> None:
        """Read the WebSocket client count from `clients` at each scrape."""
        self._ws_clients.set_function(lambda: float(clients()))

    def request(self, method: str, route: str | None, status: int, seconds: float) -> None:
        """One answered HTTP request; `route` is the matched route's canonical path."""
        if method not in METHODS:
            method = OTHER
        key = (method, route or OTHER, status)
        children = self._requests_by.get(key)
        if children is None:
            children = self._requests_by[key] = self._request_children(*key)
        children[0].inc()
        children[1].observe(seconds)

    def _request_children(self, method: str, route: str, status: int) -> _Request:
        return (
            self._requests.labels(method, route, str(status), self._worker),
            self._seconds.labels(route, self._worker),
        )

    def upstream_latency(self, provider: str) -> Histogram:
        """The provider's latency histogram, for its client to keep and observe."""
        return self._upstream_seconds.labels(provider, self._worker)

    def upstream_error(self, provider: str, code: str) -> None:
        self._errors.labels(provider, code, self._worker).inc()

    def usage(
        self,
        provider: str,
        model: str,
        *,
        tokens: tuple[int, int, int, int],
        cost_usd: float | None,
    ) -> None:
        """One model call's `tokens` (in `TOKEN_KINDS` order) and cost."""
        key = (provider, model)
        children = self._usage_by.get(key)
        if children is None:
            if len(self._usage_by) >= MAX_MODELS:
                key = (provider, OTHER)
                children = self._usage_by.get(key)
            if children is None:
                children = self._usage_by[key] = self._usage_children(*key)
        counters, cost = children
        for counter, count in zip(counters, tokens, strict=True):
            if count > 0:
                counter.inc(count)
        if cost_usd is not None and cost_usd > 0:  # a counter refuses a negative amount
            cost.inc(cost_usd)

    def _usage_children(self, provider: str, model: str) -> _Usage:
        worker = self._worker
        counters = tuple(self._tokens.labels(provider, model, kind, worker) for kind in TOKEN_KINDS)
        return counters, self._cost.labels(provider, model, worker)
