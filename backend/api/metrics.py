"""GET /metrics: Prometheus exposition of what the job store says, read at scrape time."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from prometheus_client import CollectorRegistry, ProcessCollector
from prometheus_client.exposition import choose_encoder

from backend.api.access.permissions import METRICS, requires
from backend.api.access.principal import Principal
from backend.api.metrics_collector import JobStoreCollector

router = APIRouter(tags=["health"])

# Module-level so that building the app twice (tests) does not register the collectors twice.
REGISTRY = CollectorRegistry(auto_describe=False)
REGISTRY.register(JobStoreCollector())
ProcessCollector(registry=REGISTRY)


@router.get(
    "/metrics",
    response_class=Response,
    summary="Prometheus metrics: jobs by state, queue depth, step durations, rows, bytes, Druid task outcomes",
    responses={200: {"content": {"text/plain": {}}}},
)
def metrics(request: Request, caller: Principal | None = requires(METRICS)) -> Response:
    # A plain `def`: the collector queries Postgres synchronously, so this runs in the thread pool.
    encoder, content_type = choose_encoder(request.headers.get("accept", ""))
    return Response(content=encoder(REGISTRY), media_type=content_type)
