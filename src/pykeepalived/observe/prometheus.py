"""The Prometheus endpoint's content: prometheus_client's registry over one live view.

`StatusCollector` is a custom collector: each scrape asks for one status view (one
snapshot of the daemon, taken in its event loop) and yields the families metrics.py
decides, so `pykeepalived status --metrics` and a scrape carry the same names, labels and
values. prometheus_client renders them (`# HELP`, `# TYPE`, escaping, the OpenMetrics
variant when the scraper asks for it). No metric object lives between scrapes: nothing
to keep in step with reloads, and a scrape costs one snapshot.

`state_answer` is the optional HTTP state check for cloud load balancers: 200 only while
the named instance is MASTER here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry
from prometheus_client.exposition import choose_encoder
from prometheus_client.metrics_core import Metric

from pykeepalived.observe.metrics import metric_families

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from pykeepalived.observe.metrics import Family
    from pykeepalived.observe.status import StatusView


def to_metric(family: Family) -> Metric:
    """One of our families as prometheus_client's Metric (counters named without
    `_total`, their samples with it, as the client library expects)."""
    base = family.name.removesuffix("_total") if family.kind == "counter" else family.name
    metric = Metric(base, family.help, family.kind)
    for sample in family.samples:
        metric.add_sample(family.name, sample.labels, sample.value)
    return metric


class StatusCollector:
    """prometheus_client's Collector protocol over `view()`, asked once per scrape."""

    def __init__(self, view: Callable[[], StatusView]) -> None:
        self._view = view

    def collect(self) -> Iterator[Metric]:
        for family in metric_families(self._view()):
            yield to_metric(family)

    def describe(self) -> list[Metric]:
        return []  # nothing is asked at registration: the first scrape takes the view


def registry_for(view: Callable[[], StatusView]) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(StatusCollector(view))
    return registry


def exposition(registry: CollectorRegistry, accept: str = "") -> tuple[bytes, str]:
    """The scrape's body and content type (OpenMetrics when the scraper asks for it)."""
    encoder, content_type = choose_encoder(accept)
    return encoder(registry), content_type


def state_answer(view: StatusView, instance: str) -> tuple[int, str]:
    """The state check: (200, "MASTER") while `instance` is MASTER here, else 503 with
    its state; 404 for an instance this daemon does not run."""
    for inst in view.instances:
        if inst.name == instance:
            return (200 if inst.state == "MASTER" else 503), inst.state + "\n"
    return 404, f"no instance {instance}\n"
