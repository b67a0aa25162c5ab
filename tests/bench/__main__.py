"""`python -m tests.bench`: run the benchmarks (see tests/bench/harness.py). Use `deploy/dev bench`."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from market.settings import Settings
from search.index import index_uid
from search.suggest_index import suggest_uid
from tests.bench.cart import cart_context
from tests.bench.harness import SCENARIOS, Config, first_public_slug, run, table


async def context() -> dict[str, str]:
    """Values the scenarios' paths and bodies refer to: a public product's slug, the index, the Meilisearch key."""
    settings = Settings.from_env()
    slug = await first_public_slug(settings.database_url)
    return {
        "slug": slug or "no-public-product",
        "index": index_uid(settings.meili_index_prefix),
        "suggest_index": suggest_uid(settings.meili_index_prefix),
        "meili_key": settings.meili_master_key or "",
        **await cart_context(settings),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description="market benchmarks: each scenario against B0 in one run")
    parser.add_argument("--duration", type=int, default=10, help="seconds per scenario (default 10)")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=1, help="granian workers for every server (default 1)")
    parser.add_argument("--scenarios", default=",".join(s.name for s in SCENARIOS), help="comma-separated names")
    parser.add_argument("--out", type=Path, default=Path(".local/bench"))
    args = parser.parse_args()
    wanted = set(args.scenarios.split(",")) | {"B0"}
    unknown = wanted - {s.name for s in SCENARIOS}
    if unknown:
        parser.error(f"unknown scenarios: {', '.join(sorted(unknown))}")
    config = Config(args.duration, args.connections, args.threads, args.workers, args.out)
    chosen = [s for s in SCENARIOS if s.name in wanted]
    baselines = {s.baseline for s in chosen if s.baseline}
    chosen = [s for s in SCENARIOS if s.name in wanted | baselines]
    results = run(chosen, config, asyncio.run(context()))
    print(table(results))
    print(f"(results in {args.out}/latest.json)")


if __name__ == "__main__":
    main()
