"""What the client flows start from: two approved sellers of the province, each with one product on sale and found
by search. Set up through the in-process app (the factories), since it is not what the clients are tested on."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx

from market.core.resources import Resources
from search import indexer
from search.index import index_uid
from tests.buyers import variants_body
from tests.factories import active_product, api_key, registered_seller
from tests.shoppers import HANOI, HOAN_KIEM, address

PASSWORD = "mang-cau-ba-den-2026"  # what seller_body gives every owner


@dataclass(frozen=True)
class Shop:
    seller_id: str
    owner_identifier: str
    product_slug: str
    variant_id: str


@dataclass(frozen=True)
class Shops:
    """Two sellers' products; the buyer's address (Hoàn Kiếm, Hà Nội) as checkout and quotes take it."""

    shops: tuple[Shop, Shop]
    search_words: str
    province_code: int = HANOI
    ward_code: int = HOAN_KIEM

    @property
    def address(self) -> dict[str, object]:
        return address()


async def two_shops(
    client: httpx.AsyncClient, operator: str, drain: Callable[[], Awaitable[None]], resources: Resources
) -> Shops:
    shops = []
    # The index keeps every earlier test's "mãng cầu Bà Đen": a garden name of this run's own puts these two first.
    garden = "vườn " + "".join(secrets.choice("bcdghklmnpqrstvx") for _ in range(7))
    for name in (f"Mãng cầu Bà Đen loại 1 {garden}", f"Mãng cầu Bà Đen hữu cơ {garden}"):
        created = await registered_seller(client, approve_with=operator)
        key = await api_key(client, created["session"])
        product = await active_product(client, key, operator, name=name, variants=variants_body(1))
        shops.append(Shop(created["seller"]["id"], created["owner"]["identifier"], product["slug"],
                          product["variants"][0]["id"]))  # fmt: skip
    await drain()  # the catalog's events are handled: the products are marked for the search index
    # Indexed now, into the index the served app reads (the worker's elected indexer may be seconds away).
    await indexer.drain(resources.meili, index_uid(resources.settings.meili_index_prefix), 200)
    return Shops((shops[0], shops[1]), search_words=f"mang cau ba den {garden.split()[1]}")
