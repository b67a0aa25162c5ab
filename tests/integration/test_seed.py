"""`market seed` as a new user runs it: the demo owners' password is printed every time, not only the first."""

from __future__ import annotations

import asyncio
import os
import sys

import httpx

from market.demo import DEMO_PASSWORD, DEMO_WEBHOOK_URL


async def _seed() -> str:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "market.cli", "seed", "--products-per-seller", "1",
        env=dict(os.environ), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    output, _ = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode == 0, output.decode()
    return output.decode()


async def test_seed_prints_the_demo_password_on_every_run_and_it_signs_in(client: httpx.AsyncClient) -> None:
    first = await _seed()
    again = await _seed()
    assert "created 24 sellers" in first and "already loaded" in again
    for output in (first, again):
        assert DEMO_PASSWORD in output and "demo1@market.example" in output
    login = await client.post(
        "/seller/v1/sessions", json={"identifier": "demo1@market.example", "password": DEMO_PASSWORD}
    )
    assert login.status_code == 201, login.text
    # Seller webhooks: demo1's endpoint on the local sink that deploy/dev run starts (registered once).
    hooks = await client.get(
        "/seller/v1/webhook-endpoints", headers={"Authorization": f"Bearer {login.json()['token']}"}
    )
    assert [endpoint["url"] for endpoint in hooks.json()["data"]] == [DEMO_WEBHOOK_URL]
