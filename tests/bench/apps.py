"""Apps the benchmark serves besides the market API itself.

B0 is the reference every scenario is compared with: a bare Litestar hello-world, served by the same server
(granian) with the same worker count in the same run. The market bench app is the real app plus bare endpoints
that show the limit of what an endpoint could do (the same SQL through raw asyncpg, for instance).
"""

from __future__ import annotations

import asyncio
import random
from typing import Any

import asyncpg
from litestar import Litestar, Request, Response, get, post

from market.app import create_app
from market.catalog.storefront import DETAIL_SQL
from market.core import clock
from market.core.resources import Resources, keep_session
from market.settings import Settings


@get("/", sync_to_thread=False)
def hello() -> dict[str, str]:
    return {"hello": "world"}


def b0_app() -> Litestar:
    """B0: a bare Litestar hello-world endpoint."""
    return Litestar(route_handlers=[hello], openapi_config=None, logging_config=None)


_pool: list[asyncpg.Pool] = []
_pool_lock = asyncio.Lock()
TP_PREFIX = "var_benchtp"


async def raw_pool() -> asyncpg.Pool:
    """A raw asyncpg pool built like the app's (same size, same reset on release), for fair baselines."""
    async with _pool_lock:  # one pool, however many first requests arrive together
        if not _pool:
            settings = Settings.from_env()
            _pool.append(await asyncpg.create_pool(
                settings.database_url, min_size=1, max_size=settings.db_pool_max, reset=keep_session))  # fmt: skip
    return _pool[0]


@get("/bench/raw-detail/{slug:str}", include_in_schema=False)
async def raw_detail(slug: str) -> Response[bytes]:
    """The storefront detail's SQL through raw asyncpg, returning the document as PostgreSQL built it."""
    document = await (await raw_pool()).fetchval(DETAIL_SQL, slug, clock.today())
    return Response((document or "null").encode(), media_type="application/json")


@post("/bench/l-cart", include_in_schema=False)
async def l_cart(request: Request[Any, Any, Any]) -> dict[str, int]:
    """L-cart: the least a cart add can do, one pipelined Redis HINCRBY and EXPIRE (the body is not even read)."""
    resources: Resources = request.app.state.resources
    key = f"{resources.settings.redis_key_prefix}bench:l-cart"
    async with resources.redis.pipeline(transaction=False) as pipe:
        pipe.hincrby(key, "q:var_0000000000bench0cart0var00", 1)
        pipe.expire(key, 7 * 86_400)
        quantity, _ = await pipe.execute()
    return {"quantity": int(quantity)}


L_RESERVE_SQL = (
    "UPDATE stock_level SET reserved = reserved + 1, updated_at = now() "
    "WHERE variant_id = $1 AND on_hand - reserved >= 1 RETURNING reserved"
)
_reserve_variants: list[str] = []


@post("/bench/l-reserve", include_in_schema=False)
async def l_reserve() -> dict[str, int]:
    """L-reserve: the least a checkout can do, one conditional UPDATE ... RETURNING through raw asyncpg, on a pool
    built like the app's (same size, same reset), on one of the throughput run's variants picked at random."""
    pool = await raw_pool()
    if not _reserve_variants:
        rows = await pool.fetch("SELECT variant_id FROM stock_level WHERE variant_id LIKE $1", f"{TP_PREFIX}%")
        _reserve_variants.extend(row["variant_id"] for row in rows)
    reserved = await pool.fetchval(L_RESERVE_SQL, random.choice(_reserve_variants))
    return {"reserved": int(reserved or 0)}


def market_bench_app() -> Litestar:
    """The market app with the benchmark's bare endpoints mounted."""
    return create_app(extra_route_handlers=[raw_detail, l_cart, l_reserve])
