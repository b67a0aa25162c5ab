"""Apps the benchmark serves besides the market API itself.

B0 is the reference every scenario is compared with: a bare Litestar hello-world, served by the same server
(granian) with the same worker count in the same run. The market bench app is the real app plus bare endpoints
that show the limit of what an endpoint could do (the same SQL through raw asyncpg, for instance).
"""

from __future__ import annotations

import asyncio
import hashlib
import random
from datetime import UTC, datetime
from typing import Any

import asyncpg
from litestar import Litestar, Request, Response, get, post

from market.app import create_app
from market.cart.tokens import verify_guest_token
from market.catalog.reads import SALE_VARIANTS_SQL
from market.catalog.storefront import DETAIL_SQL
from market.checkout.service import PLACE_SQL
from market.core import clock
from market.core.ids import new_id
from market.core.resources import Resources, keep_session
from market.orders.drafts import LineRow, OrderRow, SellerOrderRow, ShippingAddress, TransitionRow, encode
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


L_ADDRESS = ShippingAddress("Bench", "+84912345678", "1 Hàng Bạc", 70, 1)
L_FEE = 30_000


def _l_rows(cart_id: str, wanted: dict[str, int], variants: list[asyncpg.Record]) -> tuple[str, list[Any]]:
    """The least Python between checkout's round trips: the rows of a cash-on-delivery order of these variants,
    one seller order per seller at a fixed shipping fee, as PLACE_SQL's parameters (from $3 on)."""
    now, order_id = datetime.now(UTC), new_id("ord")
    seller_orders: dict[str, SellerOrderRow] = {}
    lines: list[LineRow] = []
    for row in variants:
        quantity = wanted[row["id"]]
        part = seller_orders.get(row["seller_id"])
        if part is None:
            part = seller_orders[row["seller_id"]] = SellerOrderRow(
                new_id("sor"), order_id, row["seller_id"], "confirmed", "cod", 0, L_FEE, "national", "BUU_KIEN", 3,
                L_FEE, L_FEE, 0, row["pickup_province_code"], 1, now, now)  # fmt: skip
        part.subtotal += row["price"] * quantity
        part.total = part.cod_amount = part.subtotal + L_FEE
        part.weight_g += row["weight_g"] * quantity
        lines.append(LineRow(new_id("oln"), part.id, len(lines), row["id"], row["product_id"], row["sku"],
                             row["product_name"], row["unit"], row["unit_size"], row["price"], quantity,
                             row["weight_g"], row["price"] * quantity, row["catch_weight"], row["tolerance_percent"],
                             False))  # fmt: skip
    parts = list(seller_orders.values())
    subtotal = sum(part.subtotal for part in parts)
    order = OrderRow(order_id, None, cart_id, "bench@example.vn", "+84912345678", L_ADDRESS, "cod", "cod_pending",
                     "VND", subtotal, L_FEE * len(parts), subtotal + L_FEE * len(parts), 0, None, now, now)  # fmt: skip
    history = [TransitionRow(part.id, None, "confirmed", "guest", "checkout", now) for part in parts]
    events = [{"event_id": new_id("evt"), "type": "order.created", "payload": {"order_id": order_id}},
              {"event_id": new_id("evt"), "type": "stock.updated",
               "payload": {"product_ids": sorted({line.product_id for line in lines})}}]  # fmt: skip
    return order_id, [encode(order), encode(parts), encode(lines), encode(history), encode(events)]


@post("/bench/l-checkout", include_in_schema=False)
async def l_checkout(request: Request[Any, Any, Any]) -> Response[bytes]:
    """L-checkout: exactly checkout's round trips for a guest's cash-on-delivery order, with raw drivers and no
    framework between them: read the cart (Redis HGETALL), the read-and-price statement (SALE_VARIANTS_SQL), the
    reserve-and-write statement (PLACE_SQL: key claimed, stock reserved, every row written), drop the cart (DEL)."""
    resources: Resources = request.app.state.resources
    settings = resources.settings
    cart_id = verify_guest_token(settings.secret_key, request.headers["Cart-Token"])
    key = f"{settings.redis_key_prefix}cart:{cart_id}"
    fields = await resources.redis.hgetall(key)  # type: ignore[misc]
    wanted = {name[2:]: int(value) for name, value in fields.items() if name.startswith("q:")}
    if not wanted:
        return Response(b'{"code": "cart_empty"}', status_code=409, media_type="application/json")
    pool = await raw_pool()
    variants = await pool.fetch(SALE_VARIANTS_SQL, list(wanted))
    order_id, rows = _l_rows(cart_id, wanted, variants)
    body = f'{{"id": "{order_id}", "object": "order"}}'
    variant_ids = sorted(wanted)
    scope_key = f"guest:{cart_id}:{request.headers['Idempotency-Key']}"
    claimed = await pool.fetchval(PLACE_SQL, variant_ids, [wanted[v] for v in variant_ids], *rows, scope_key,
                                  hashlib.sha256(b"bench").hexdigest(), order_id, 201, body, "[]")  # fmt: skip
    if not claimed:
        return Response(b'{"code": "out_of_stock"}', status_code=409, media_type="application/json")
    await resources.redis.delete(key)
    return Response(body.encode(), status_code=201, media_type="application/json")


def market_bench_app() -> Litestar:
    """The market app with the benchmark's bare endpoints mounted."""
    return create_app(extra_route_handlers=[raw_detail, l_cart, l_reserve, l_checkout])
