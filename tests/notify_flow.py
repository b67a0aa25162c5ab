"""Waiting for notifications in the tests: the worker delivers the outbox, its sender loop sends the messages."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from market.core.db import fetch
from tests.orders_flow import Drain, Placed, pack, place
from tests.shoppers import variant_ids

WAITING = ("SELECT count(*) AS n FROM notification_delivery WHERE status = 'sending' "
           "OR (status = 'queued' AND next_attempt_at <= now() + interval '2 seconds')")  # fmt: skip


async def settle(drain: Drain, seconds: float = 15) -> list[dict[str, Any]]:
    """Wait until every event is delivered and no message is queued or being sent; returns every delivery row."""
    await drain()
    for _ in range(int(seconds / 0.05)):
        waiting = await fetch(WAITING)  # fmt: skip
        if not waiting[0]["n"]:
            await drain()
            again = await fetch(WAITING)  # fmt: skip
            if not again[0]["n"]:
                break
        await asyncio.sleep(0.05)
    else:
        raise AssertionError("notifications were not sent in time")
    return [dict(row) for row in await fetch("SELECT * FROM notification_delivery ORDER BY created_at, id")]


def of_kind(rows: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [row for row in rows if row["kind"] == kind]


async def one_box(
    client: httpx.AsyncClient, shop: dict[str, Any], operator: str, payment_method: str = "cod"
) -> Placed:
    """A new buyer's order of one box of the shop's first product (the `shop` fixture's)."""
    _kg, box = variant_ids(shop["products"][0])
    return await place(client, [shop], [(box, 1)], operator, payment_method)


async def one_box_packed(
    client: httpx.AsyncClient, shop: dict[str, Any], operator: str
) -> tuple[Placed, dict[str, Any]]:
    """`one_box`, packed by its seller: the order and its one seller order."""
    placed = await one_box(client, shop, operator)
    (sor,) = placed.seller_orders
    await pack(client, placed, sor)
    return placed, sor
