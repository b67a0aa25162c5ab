"""Route handlers mounted on the real app in tests, to drive the shared error and dependency machinery.

They exercise what later endpoints rely on (problem+json mapping, failing fast when a dependency is down) before
those endpoints exist; each does the smallest real thing: a Redis call, a Meilisearch call, a body parse.
"""

from __future__ import annotations

import asyncpg
import msgspec
from litestar import get, post
from litestar.params import JSONBody

from market.core.errors import Conflict, FieldError, ValidationFailed
from market.web.deps import ResourcesDep


class ProbeBody(msgspec.Struct, forbid_unknown_fields=True):
    name: str
    price: int


@get("/probe/redis", operation_id="probe_redis", include_in_schema=False)
async def probe_redis(resources: ResourcesDep) -> dict[str, int]:
    return {"count": int(await resources.redis.incr("probe"))}


@get("/probe/meilisearch", operation_id="probe_meilisearch", include_in_schema=False)
async def probe_meilisearch(resources: ResourcesDep) -> dict[str, str]:
    health = await resources.meili.health()
    await resources.meili.get_indexes()
    return {"status": health.status}


@get("/probe/conflict", operation_id="probe_conflict", include_in_schema=False)
async def probe_conflict() -> None:
    raise Conflict("Order is already packed.", code="illegal_transition", current_status="packed")


@get("/probe/invalid", operation_id="probe_invalid", include_in_schema=False)
async def probe_invalid() -> None:
    raise ValidationFailed([FieldError("variants[0].price", "below_minimum", "Price must be above 0.")])


@get("/probe/crash", operation_id="probe_crash", include_in_schema=False)
async def probe_crash() -> None:
    raise KeyError("internal detail that must not leak")


@get("/probe/postgres-full", operation_id="probe_postgres_full", include_in_schema=False)
async def probe_postgres_full() -> None:
    raise asyncpg.TooManyConnectionsError("sorry, too many clients already")


@post("/probe/body", operation_id="probe_body", include_in_schema=False)
async def probe_body(data: JSONBody[ProbeBody]) -> dict[str, int]:
    return {"price": data.price}


PROBES = [probe_redis, probe_meilisearch, probe_conflict, probe_invalid, probe_crash, probe_postgres_full, probe_body]
