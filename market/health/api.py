"""Health endpoints."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, Response, get
from litestar.openapi.datastructures import ResponseSpec
from litestar.response.base import ASGIResponse

from market.health.service import check_dependencies
from market.web.deps import ResourcesDep
from market.web.problems import problem


class Live(msgspec.Struct):
    """The liveness answer."""

    status: str


LIVE = ASGIResponse(
    body=msgspec.json.encode(Live("ok")), media_type="application/json", headers={"cache-control": "no-store"}
)
"""Rendered once: a probe hit several times a second costs no encoding, no response object and no header merge
(the request context, guard and metrics still apply). `no-store` as on every answer without its own policy."""


class HealthController(Controller):
    """Liveness and readiness probes for orchestrators and load balancers."""

    path = "/health"
    tags = ["health"]

    @get("/live", operation_id="health_live", exclude_from_auth=True, response_class=None,
         responses={200: ResponseSpec(Live, description="The process is up.", generate_examples=False)})  # fmt: skip
    async def live(self) -> ASGIResponse:
        """The process is up and serving."""
        return LIVE

    @get("/ready", operation_id="health_ready", exclude_from_auth=True)
    async def ready(self, request: Request[Any, Any, Any], resources: ResourcesDep) -> Response[dict[str, Any]]:
        """PostgreSQL, Redis and Meilisearch answer, each with its latency; 503 names those that do not."""
        statuses = await check_dependencies(resources)
        checks = {
            status.name: {
                "status": "up" if status.up else "down",
                "latency_ms": status.latency_ms,
                **({"error": status.error} if status.error else {}),
            }
            for status in statuses
        }
        down = [status.name for status in statuses if not status.up]
        if down:
            return problem(
                request,
                status=503,
                code="dependency_unavailable",
                detail=f"Not ready: {', '.join(down)} down.",
                headers={"Retry-After": "5"},
                dependencies=down,
                checks=checks,
            )
        return Response({"status": "ready", "checks": checks})
