"""The judged query set on the demo catalog, as `market search eval` scores it: the floors of issue 15.

The demo catalog is loaded into a database and an index of this test's own (the session's database must stay
without it: `tests/integration/test_seed.py` seeds it itself), by the commands an operator runs.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from typing import Any

from meilisearch_python_sdk import AsyncClient

from market.core.migrate import drop_database
from market.settings import Settings
from tests.conftest import RUN_ID, _with_path
from tests.search.conftest import delete_run_indexes

FLOOR_NDCG = 0.9
FLOOR_P3 = 0.9


async def _market(env: dict[str, str], *args: str) -> str:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "market.cli", *args, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    output, errors = await asyncio.wait_for(process.communicate(), timeout=300)
    assert process.returncode == 0, f"market {' '.join(args)}: {errors.decode()[-2000:]}"
    return output.decode()


async def test_judged_queries_hold_the_floors_on_the_demo_catalog(settings: Settings, meili: AsyncClient) -> None:
    database_url = _with_path(settings.database_url, f"/market_test_{RUN_ID}_relevance")
    prefix = f"{settings.meili_index_prefix}relevance_"
    env = {**os.environ, "DATABASE_URL": database_url, "MEILI_INDEX_PREFIX": prefix, "LOG_LEVEL": "warning"}
    try:
        await _market(env, "db", "migrate")
        await _market(env, "seed")
        await _market(env, "search", "reindex")
        report: dict[str, Any] = json.loads(
            await _market(env, "search", "eval", "--json", "--min-ndcg", str(FLOOR_NDCG), "--min-p3", str(FLOOR_P3))
        )
    finally:
        await drop_database(database_url)
        await delete_run_indexes(meili, prefix)
    summaries = {summary["kind"]: summary for summary in report["summaries"]}
    overall = summaries["all"]
    assert overall["queries"] >= 80
    assert overall["ndcg"] >= FLOOR_NDCG and overall["p3"] >= FLOOR_P3, summaries
    no_answer = [query for query in report["queries"] if query["class"] == "no_answer"]
    assert no_answer and all(query["total_hits"] == 0 for query in no_answer), no_answer
    # the three examples
    scores = {query["q"]: query for query in report["queries"]}
    for q in ("thơm", "thom", "dứa", "dua", "dưa hấu"):
        assert scores[q]["p3"] == 1.0, scores[q]
    assert scores["dưa hấu"]["ndcg"] >= 0.95
    assert scores["sầu riêng"]["total_hits"] == 0
