"""Handoff benchmark: the carrier down while 500 seller orders are packed, and checkout meanwhile.

    python -m tests.bench.handoff [--orders 500] [--outage 120] [--baseline 30] [--mode down]

In the checkout benchmark's database, with the carrier simulator (`market carrier-sim`) and a real `market worker`:

1. checkout under wrk for `--baseline` seconds with the carrier up (p50, p99);
2. the carrier goes `--mode` (down: 503 to everything; slow: answers after 5 s; drop: does the work, answers
   too late) for `--outage` seconds while `--orders` packed seller orders wait for their parcels, and checkout runs
   under wrk the whole time;
3. the carrier recovers: how long until every seller order has its parcel, and how many parcels the simulator holds
   per reference (exactly one each is the goal);
4. checkout again with the carrier up, and the p99 ratios of checkout during the outage to steps 1 and 4.

Not a pass/fail test; figures go to stdout and `.local/bench/handoff-<time>.json`.
"""

from __future__ import annotations

import os

import tests.bench.checkout as checkout_bench  # sets the benchmark database and Redis prefix first

os.environ.update({"CARRIER_PARTNER_ID": "bench", "CARRIER_PARTNER_SECRET": "bench-partner-secret",
                   "CARRIER_WEBHOOK_SECRET": "bench-webhook-secret", "CARRIER_SIM_TICK_S": "0",
                   "CARRIER_SIM_FAIL_PERCENT": "0"})  # fmt: skip
os.environ.pop("CARRIER_SIM_WEBHOOK_URL", None)

import argparse
import asyncio
import json
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from market.settings import Settings
from tests.bench.harness import TARGETS, Config, Scenario, Server, Target, drive, ensure_wrk

TARGETS["carrier_sim"] = Target("market.shipping.simulator:create_from_env")
say = checkout_bench.say

PACKED_SQL = """
WITH made AS (
    SELECT 'ordhb' || lpad(n::text, 27, '0') AS order_id, 'sorhb' || lpad(n::text, 27, '0') AS sor_id
    FROM generate_series(1, $1) AS n
),
o AS (
    INSERT INTO orders (id, account_id, guest_cart_id, email, phone, shipping_address, payment_method, payment_status,
                        currency, subtotal, shipping_fee, total, paid_amount, reserved_until, created_at, updated_at)
    SELECT order_id, NULL, NULL, NULL, '+84912345678', $2::jsonb, 'cod', 'cod_pending', 'VND', 90000, 38000, 128000,
           0, NULL, now(), now() FROM made
),
so AS (
    INSERT INTO seller_order (id, order_id, seller, status, payment_method, subtotal, final_subtotal, shipping_fee,
                              shipping_zone, shipping_service, transit_days, total, cod_amount, weight_g,
                              origin_province_code, destination_province_code, version, created_at, updated_at)
    SELECT sor_id, order_id, $3, 'packed', 'cod', 90000, 90000, 38000, 'national', 'BUU_KIEN', 5, 128000, 128000,
           2400, 80, 1, 1, now(), now() FROM made
)
INSERT INTO parcel (id, seller_order_id, carrier, reference, status, cod_amount, attempts, next_attempt_at,
                    created_at, updated_at)
SELECT 'pclhb' || substr(sor_id, 6), sor_id, 'vnpost', sor_id, 'pending', 128000, 0, now(), now(), now() FROM made
"""
ADDRESS = {"recipient_name": "Bench", "phone": "+84912345678", "street": "1 Hàng Bạc", "ward_code": 70,
           "province_code": 1, "units_version": "bench"}  # fmt: skip


async def pack_orders(settings: Settings, count: int) -> None:
    connection = await asyncpg.connect(settings.database_url)
    try:
        await connection.execute("DELETE FROM parcel WHERE id LIKE 'pclhb%'")
        await connection.execute("DELETE FROM seller_order WHERE id LIKE 'sorhb%'")
        await connection.execute("DELETE FROM orders WHERE id LIKE 'ordhb%'")
        await connection.execute(PACKED_SQL, count, json.dumps(ADDRESS), checkout_bench.SELLERS[0])
    finally:
        await connection.close()


async def parcels(settings: Settings) -> dict[str, int]:
    connection = await asyncpg.connect(settings.database_url)
    try:
        rows = await connection.fetch("SELECT status, count(*) AS n FROM parcel WHERE id LIKE 'pclhb%' GROUP BY 1")
        return {row["status"]: row["n"] for row in rows}
    finally:
        await connection.close()


def sim_call(sim: Server, path: str, body: Any = None) -> Any:
    return httpx.post(f"{sim.base_url}{path}", json=body or {}, timeout=10).json()


def checkout_scenario(config: Config, tokens_path: Path, offset: Path, name: str) -> Scenario:
    lua = checkout_bench.CHECKOUT_LUA.format(tokens=tokens_path.resolve(), offset=offset.resolve(),
                                             threads=config.threads)  # fmt: skip
    return Scenario(name, "market_checkout", "/api/v1/checkout", method="POST", body=json.dumps(checkout_bench.BODY),
                    lua=lua)  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=500)
    parser.add_argument("--outage", type=int, default=120)
    parser.add_argument("--baseline", type=int, default=30)
    parser.add_argument("--mode", choices=["down", "slow", "drop"], default="down")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--out", type=Path, default=Path(".local/bench"))
    args = parser.parse_args()
    wrk = ensure_wrk()
    settings = Settings.from_env()
    asyncio.run(checkout_bench.prepare(settings))
    asyncio.run(checkout_bench.reset(settings))
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    config = Config(args.baseline, args.connections, 2, 1, args.out, warmup_s=4)
    carts = (args.baseline + args.outage + 10) * 900
    say(f"{carts:,} guest carts for the checkout load")
    tokens = asyncio.run(
        checkout_bench.make_carts(
            settings,
            carts,
            lambda rng: [
                (checkout_bench.tp_variant(0, rng.randrange(300)), 1),
                (checkout_bench.tp_variant(1, rng.randrange(300)), 1),
            ],
        )
    )
    tokens_path = args.out / "lua" / "handoff-tokens.lua"  # fmt: skip
    tokens_path.parent.mkdir(parents=True, exist_ok=True)
    tokens_path.write_text("return {" + ",".join(json.dumps(token) for token in tokens) + "}\n")
    offset = tokens_path.with_name("handoff-offset.txt")
    offset.write_text("0\n")
    report: dict[str, Any] = {"started_at": stamp, "orders": args.orders, "outage_s": args.outage, "mode": args.mode}

    sim = Server("carrier_sim", 1, args.out / f"{stamp}-carrier-sim.log")
    os.environ["CARRIER_API_BASE"] = sim.base_url
    with sim, Server("market_checkout", 1, args.out / f"{stamp}-handoff-api.log") as api:
        worker = subprocess.Popen(
            [sys.executable, "-m", "market.cli", "worker"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=(args.out / f"{stamp}-worker.log").open("ab"),
        )
        try:  # fmt: skip
            up = checkout_scenario(config, tokens_path, offset, "checkout_carrier_up")
            drive(wrk, api, up, Config(config.warmup_s, args.connections, 2, 1, args.out), {})
            say(f"checkout with the carrier up: {args.baseline}s")
            report["checkout_carrier_up"] = vars(drive(wrk, api, up, config, {}))

            sim_call(sim, "/_sim/faults", {"mode": args.mode, "delay_s": 5.0})
            asyncio.run(pack_orders(settings, args.orders))
            say(f"carrier {args.mode} for {args.outage}s; {args.orders} packed seller orders wait; checkout runs")
            down = checkout_scenario(config, tokens_path, offset, "checkout_carrier_down")
            outage = Config(args.outage, args.connections, 2, 1, args.out)
            report["checkout_carrier_down"] = vars(drive(wrk, api, down, outage, {}))
            report["during_outage"] = asyncio.run(parcels(settings))

            sim_call(sim, "/_sim/faults", {"mode": "ok"})
            recovered = time.monotonic()
            say("carrier back: waiting for the backlog to drain")
            while True:
                state = asyncio.run(parcels(settings))
                if (
                    state.get("created", 0) + state.get("parked", 0) >= args.orders
                    or time.monotonic() - recovered > 900
                ):
                    break
                time.sleep(1)
            report["drained_after_s"] = round(time.monotonic() - recovered, 1)
            report["after_recovery"] = state
            at_carrier = httpx.get(f"{sim.base_url}/_sim/parcels", timeout=30).json()
            codes = [p["order_code"] for p in at_carrier["parcels"] if p["order_code"].startswith("sorhb")]
            report["carrier_parcels"] = len(codes)
            report["carrier_distinct_references"] = len(set(codes))
            report["carrier_create_calls"] = at_carrier["create_calls"]
            again = checkout_scenario(config, tokens_path, offset, "checkout_carrier_up_again")
            say(f"checkout with the carrier up again: {args.baseline}s")
            report["checkout_carrier_up_again"] = vars(drive(wrk, api, again, config, {}))
        finally:
            worker.terminate()
            worker.wait(timeout=30)
    down_p99 = report["checkout_carrier_down"]["p99_ms"]
    for run in ("checkout_carrier_up", "checkout_carrier_up_again"):
        up_p99 = report[run]["p99_ms"]
        report[f"p99_outage_vs_{run.removeprefix('checkout_')}"] = round(down_p99 / up_p99, 3) if up_p99 else None
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"handoff-{stamp}.json").write_text(json.dumps(report, indent=2, default=str))
    print(json.dumps(report, indent=2, default=str))


if __name__ == "__main__":
    main()
