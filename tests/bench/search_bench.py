"""Search benchmarks that are not a wrk scenario.

    python -m tests.bench.search_bench reindex     # full reindex vs loading the same documents straight in
    python -m tests.bench.search_bench freshness   # seconds from a price change to search, under search load

Both run against the configured database (load it first: `python -m tests.bench.load`) and Meilisearch, and print
their figures and ratio; results also go to `.local/bench/search-*.json`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from meilisearch_python_sdk.errors import MeilisearchApiError

from market.catalog.documents import public_product_ids
from market.core.resources import Resources
from market.sellers.service import create_api_key
from market.settings import Settings
from search.index import ensure_index, index_uid
from search.mapping import load_documents
from search.meili import wait_succeeded
from search.reindex import reindex
from tests.bench.harness import Server, ensure_wrk

OUT = Path(".local/bench")


async def reindex_vs_raw(batch_size: int = 5000) -> dict[str, Any]:
    """Time `market search reindex` end to end, and the same documents (built beforehand) loaded straight in."""
    settings = Settings.from_env()
    resources = await Resources.open(settings)
    synonyms = Path(settings.search_synonyms_file)
    try:
        started = time.perf_counter()
        result = await reindex(resources.meili, settings.meili_index_prefix, synonyms, batch_size)
        ours = time.perf_counter() - started
        print(f"[reindex] ours: {result.documents:,} documents in {ours:.1f}s", file=sys.stderr)

        documents, after = [], None
        while ids := await public_product_ids(after, batch_size):
            documents += await load_documents(ids)
            after = ids[-1]
        raw_uid = f"{settings.meili_index_prefix}bench_raw_load"
        await resources.meili.delete_index_if_exists(raw_uid)
        await ensure_index(resources.meili, raw_uid, synonyms)  # same settings, applied first, untimed
        index = resources.meili.index(raw_uid)
        started = time.perf_counter()
        tasks = [
            await index.add_documents(documents[i : i + batch_size], primary_key="id")
            for i in range(0, len(documents), batch_size)
        ]
        for task in tasks:
            await wait_succeeded(resources.meili, task.task_uid, timeout_ms=None)
        raw = time.perf_counter() - started
        await resources.meili.delete_index_if_exists(raw_uid)
        print(f"[reindex] raw load: {len(documents):,} documents in {raw:.1f}s", file=sys.stderr)
        return {"documents": result.documents, "ours_s": round(ours, 2), "raw_s": round(raw, 2),
                "ratio": round(ours / raw, 3)}  # fmt: skip
    finally:
        await resources.close()


async def _bench_key(settings: Settings) -> tuple[str, list[dict[str, Any]]]:
    """An API key of a bench seller and 100 of its single-variant public products."""
    from market.catalog.tables import Product

    rows = await Product.raw(
        "SELECT p.id, p.slug, p.seller, v.id AS variant_id, v.price FROM product p "
        "JOIN seller s ON s.id = p.seller JOIN variant v ON v.product = p.id "
        "WHERE p.status = 'active' AND s.status = 'approved' AND v.status = 'active' "
        "AND (SELECT count(*) FROM variant w WHERE w.product = p.id) = 1 ORDER BY p.id LIMIT 400"
    ).run()
    seller = rows[0]["seller"]
    picked = [row for row in rows if row["seller"] == seller][:100]
    if len(picked) < 100:  # spread over sellers: one key each
        picked = rows[:100]
    keys: dict[str, str] = {}
    for row in picked:
        if row["seller"] not in keys:
            keys[row["seller"]] = (await create_api_key(row["seller"], "bench", ["catalog:write"]))[1]
        row["key"] = keys[row["seller"]]
    return seller, picked


async def freshness(changes: int = 100, load_s: int = 40, *, raw: bool = False) -> dict[str, Any]:
    """Change 100 prices through the seller API while wrk loads search; time until each shows in the index.

    `raw`: the same load and changes, each sent straight to Meilisearch as a partial document update instead of
    through the API, the outbox and the sync: the freshness Meilisearch itself gives, which ours stands on."""
    settings = Settings.from_env()
    resources = await Resources.open(settings)
    worker = subprocess.Popen(
        [sys.executable, "-m", "market.cli", "worker"],
        env={**os.environ, "LOG_LEVEL": "warning"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _, products = await _bench_key(settings)
        uid = index_uid(settings.meili_index_prefix)
        with Server("market", 1, OUT / "freshness-api.log") as api:
            load = subprocess.Popen(
                [ensure_wrk(), "-t2", "-c64", f"-d{load_s}s", f"{api.base_url}/api/v1/search?q=mang+cau&province=80"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
            await asyncio.sleep(2)
            answered: list[float] = []  # how long each price change took to be answered
            async with httpx.AsyncClient(base_url=api.base_url, timeout=10) as client:
                latencies = await asyncio.gather(
                    *(
                        _change_and_watch(client, resources, uid, row, n, answered, raw=raw)
                        for n, row in enumerate(products[:changes])
                    )
                )
            load.wait()
        p95 = statistics.quantiles(latencies, n=20)[18]
        answered_q = statistics.quantiles(answered, n=20)
        print(f"[freshness] {len(latencies)} changes: p50 {statistics.median(latencies):.2f}s, p95 {p95:.2f}s, "
              f"max {max(latencies):.2f}s; the change itself answered in p50 {answered_q[9]:.2f}s, p95 "
              f"{answered_q[18]:.2f}s", file=sys.stderr)  # fmt: skip
        return {"changes": len(latencies), "p50_s": round(statistics.median(latencies), 3), "p95_s": round(p95, 3),
                "max_s": round(max(latencies), 3), "answered_p50_s": round(answered_q[9], 3),
                "answered_p95_s": round(answered_q[18], 3)}  # fmt: skip
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        await resources.close()


async def _change_and_watch(
    client: httpx.AsyncClient,
    resources: Resources,
    uid: str,
    row: dict[str, Any],
    n: int,
    answered: list[float],
    *,
    raw: bool,
) -> float:
    await asyncio.sleep(n * 0.2)  # 5 changes a second, spread over the load
    price = row["price"] + 1000 + n + (500 if raw else 0)
    changed = time.perf_counter()
    index = resources.meili.index(uid)
    if raw:
        await index.update_documents([{"id": row["id"], "price_min": price}])
    else:
        response = await client.patch(
            f"/seller/v1/products/{row['id']}/variants/{row['variant_id']}",
            json={"price": price},
            headers={"Authorization": f"Bearer {row['key']}"},
        )
        response.raise_for_status()
    answered.append(time.perf_counter() - changed)  # the change itself, under the search load
    while time.perf_counter() - changed < 30:
        try:
            document = await index.get_document(row["id"])
        except MeilisearchApiError as exc:  # a product added after the last reindex shows with its first change
            if exc.code != "document_not_found":
                raise
            document = {}
        if document.get("price_min") == price:
            return time.perf_counter() - changed
        await asyncio.sleep(0.02)
    return float("inf")


def main() -> None:
    parser = argparse.ArgumentParser(description="search benchmarks")
    parser.add_argument("what", choices=["reindex", "freshness"])
    parser.add_argument("--raw", action="store_true", help="freshness: the changes straight to Meilisearch")
    args = parser.parse_args()
    result = asyncio.run(reindex_vs_raw() if args.what == "reindex" else freshness(raw=args.raw))
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"search-{args.what}{'-raw' if args.raw else ''}.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
