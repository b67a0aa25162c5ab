"""Generate N realistic farm products for the load scenarios (default 100,000), as JSON lines.

`python -m tests.bench.generate [--count 100000] [--seed 7] [--out .local/bench/products.jsonl]`

The records are deterministic for a seed (the same run compares like with like), look like the province's real
listings (Tây Ninh and Long An specialties, Vietnamese names, units, prices in đồng, origins, certifications,
pre-orders, catch weight) and are shaped like the seller API's product body, so the catalog scenarios load them
through the same service code the API uses.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from market.demo import QUALIFIERS, specialty_rows

ORIGINS = [(80, "Tây Ninh", "Phường Trảng Bàng"), (80, "Tây Ninh", "Xã Bến Lức"), (80, "Tây Ninh", "Phường Gò Dầu")]
CERTIFICATIONS = ["vietgap", "globalgap", "organic", "ocop"]


def products(count: int, seed: int) -> Iterator[dict[str, Any]]:
    """Yield `count` product records, the same ones for the same seed."""
    rng = random.Random(seed)
    specialties = specialty_rows()
    for number in range(count):
        item = rng.choice(specialties)
        name, category, unit, size = item["name"], item["category"], item["unit"], item["unit_size"]
        price, weight, catch = item["price"], item["weight_g"], item["catch_weight"]
        storage, shelf_life = item["storage"], item["shelf_life_days"]
        qualifier = rng.choice(QUALIFIERS)
        province_code, province, ward = rng.choice(ORIGINS)
        certs = [c for c in CERTIFICATIONS if rng.random() < 0.2]
        unit_price = max(1_000, round(price * rng.uniform(0.8, 1.4), -3))
        pre_order = rng.random() < 0.05
        yield {
            "name": f"{name} {qualifier} #{number}",
            "category": category,
            "seller_index": rng.randrange(1_000),
            "origin": {"province_code": province_code, "province": province, "ward": ward},
            "storage": storage,
            "shelf_life_days": shelf_life,
            "certifications": [
                {"type": cert, "number": f"{cert.upper()}-{rng.randrange(10**6):06d}"}
                | ({"ocop_stars": rng.randint(3, 5)} if cert == "ocop" else {})
                for cert in certs
            ],
            "variants": [
                {
                    "sku": f"GEN-{number}-{index}",
                    "unit": unit,
                    "unit_size": size if index == 0 else f"{index + 1} x {size}",
                    "price": int(unit_price * (index + 1) * 0.95**index),
                    "weight_g": weight * (index + 1),
                    "stock": None if pre_order else rng.randrange(0, 500),
                    "catch_weight": catch,
                    "tolerance_percent": 10 if catch else None,
                }
                for index in range(rng.randint(1, 3))
            ],
            "pre_order": pre_order,
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=Path(".local/bench/products.jsonl"))
    args = parser.parse_args()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", encoding="utf-8") as handle:
        for number, product in enumerate(products(args.count, args.seed), start=1):
            handle.write(json.dumps(product, ensure_ascii=False) + "\n")
            if number % 10_000 == 0 or number == args.count:
                print(f"\r[generate] {number:,}/{args.count:,} products", end="", file=sys.stderr, flush=True)
    print(f"\n[generate] wrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
