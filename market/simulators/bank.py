"""A bank-feed simulator in SePay's shape (`market bank-sim`), for the demo and the tests.

A "buyer" sends a transfer to the collection account with a free text (the page at `/`, where a VietQR payload can
be pasted, or `POST /api/transfers`); the simulator records the transaction and posts SePay's webhook to the
marketplace (`Authorization: Apikey <BANK_FEED_API_KEY>`), retrying like SePay (7 more times, on a schedule scaled
down by BANK_SIM_RETRY_S) until it gets a 2xx with `{"success": true}`. It serves SePay's transaction list
(`GET /userapi/transactions/list`, `Authorization: Bearer <BANK_FEED_API_TOKEN>`) for reconciliation.

Faults, per transfer (`faults` in the body, or the page's boxes) or for everything (`POST /_sim/faults`): `delay_s`
(the webhook comes late), `duplicate` (sent that many times), `shuffle` (pending webhooks go out in random order),
`mangle` (the bank rewrites the text: case, spaces, a prefix of its own), `short` (the buyer sends this much
less), and `down` (nothing is sent until it is switched off; the retries then catch up).
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import os
import random
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx
import msgspec
from litestar import Litestar, Request, Response, get, post

from market.core.clock import VIETNAM
from market.core.vietqr import VietQRError, decode

DATE_FORMAT = "%Y-%m-%d %H:%M:%S"


@dataclass
class BankSimConfig:
    webhook_url: str | None
    api_key: str
    api_token: str
    account: str
    gateway: str = "Vietcombank"
    retry_s: tuple[float, ...] = (2, 5, 10, 20, 40, 60, 120)

    @classmethod
    def from_env(cls) -> BankSimConfig:
        retry = os.environ.get("BANK_SIM_RETRY_S", "2,5,10,20,40,60,120")
        return cls(
            webhook_url=os.environ.get("BANK_SIM_WEBHOOK_URL") or None,
            api_key=os.environ.get("BANK_FEED_API_KEY", "bank-sim-api-key"),
            api_token=os.environ.get("BANK_FEED_API_TOKEN", "bank-sim-api-token"),
            account=os.environ.get("BANK_ACCOUNT", "0071000888888"),
            retry_s=tuple(float(part) for part in retry.split(",") if part.strip()),
        )


@dataclass
class Delivery:
    body: dict[str, Any]
    due: float
    attempts: int = 0
    delivered: bool = False
    last_status: int | None = None


@dataclass
class BankSimState:
    config: BankSimConfig
    transactions: list[dict[str, Any]] = field(default_factory=list)
    deliveries: list[Delivery] = field(default_factory=list)
    faults: dict[str, Any] = field(default_factory=lambda: {"down": False, "shuffle": False})
    next_id: int = 1
    accumulated: int = 0

    def transfer(self, content: str, amount: int, faults: dict[str, Any]) -> dict[str, Any]:
        """Record one incoming transfer and queue its webhook(s)."""
        amount -= int(faults.get("short") or 0)
        if faults.get("mangle"):
            content = _mangle(content)
        self.accumulated += max(amount, 0)
        now = datetime.now(VIETNAM).strftime(DATE_FORMAT)
        body = {"id": self.next_id, "gateway": self.config.gateway, "transactionDate": now,
                "accountNumber": self.config.account, "code": None, "content": content, "transferType": "in",
                "transferAmount": max(amount, 0), "accumulated": self.accumulated, "subAccount": None,
                "referenceCode": f"FT{secrets.randbelow(10**10):010d}",
                "description": f"BankAPINotify {content}"}  # fmt: skip
        self.next_id += 1
        self.transactions.append(body)
        due = asyncio.get_running_loop().time() + float(faults.get("delay_s") or 0)
        for _ in range(max(int(faults.get("duplicate") or 1), 1)):
            self.deliveries.append(Delivery(body, due))
        return body

    async def send_due(self, client: httpx.AsyncClient) -> int:
        """Post every webhook that is due (unless the feed is down); a failure is retried on SePay's schedule."""
        if self.faults["down"] or not self.config.webhook_url:
            return 0
        now = asyncio.get_running_loop().time()
        due = [d for d in self.deliveries if not d.delivered and d.due <= now]
        if self.faults["shuffle"]:
            random.shuffle(due)  # an order of delivery, not a secret
        for delivery in due:
            delivery.attempts += 1
            try:
                answer = await client.post(self.config.webhook_url, content=msgspec.json.encode(delivery.body),
                                           headers={"Content-Type": "application/json",
                                                    "Authorization": f"Apikey {self.config.api_key}"})  # fmt: skip
                delivery.last_status = answer.status_code
                delivery.delivered = answer.is_success and _acknowledged(answer)
            except httpx.HTTPError:
                delivery.last_status = None
            if not delivery.delivered:
                step = delivery.attempts - 1
                if step < len(self.config.retry_s):
                    delivery.due = now + self.config.retry_s[step]
                else:
                    delivery.delivered = True  # SePay gives up after its retries: the list still has it
        return len(due)


def _acknowledged(answer: httpx.Response) -> bool:
    with contextlib.suppress(ValueError):
        return bool(answer.json().get("success"))
    return False


def _mangle(content: str) -> str:
    """What banking apps do to a transfer text: upper case, spaces inside words, a prefix of their own."""
    spaced = " ".join(word[:4] + " " + word[4:] if len(word) > 6 else word for word in content.split())
    return f"MBVCB.{secrets.randbelow(10**9)}.{spaced.upper()}.CT tu 0123456789 toi {secrets.randbelow(10**4)}"


def _state(request: Request[Any, Any, Any]) -> BankSimState:
    state: BankSimState = request.app.state.sim
    return state


class TransferIn(msgspec.Struct):
    content: str = ""
    amount: int | None = None
    payload: str | None = None
    faults: dict[str, Any] = {}


def _resolve(data: TransferIn) -> tuple[str, int] | str:
    """Content and amount of a transfer, from a pasted VietQR payload when given; an error message otherwise."""
    content, amount = data.content, data.amount
    if data.payload:
        try:
            decoded = decode(data.payload.strip())
        except VietQRError as exc:
            return f"Not a VietQR payload: {exc}"
        content = content or decoded.purpose or ""
        amount = amount or decoded.amount
    if not amount or amount <= 0:
        return "Give an amount (or a VietQR payload that has one)."
    return content, amount


@post("/api/transfers", status_code=201)
async def api_transfer(request: Request[Any, Any, Any], data: TransferIn) -> Response[Any]:
    """A buyer's transfer: {content, amount} or {payload} (a VietQR code's text), with optional `faults`."""
    resolved = _resolve(data)
    if isinstance(resolved, str):
        return Response({"error": resolved}, status_code=422)
    state = _state(request)
    body = state.transfer(resolved[0], resolved[1], data.faults)
    await state.send_due(request.app.state.client)
    return Response(body, status_code=201)


@post("/transfers", status_code=303)
async def form_transfer(request: Request[Any, Any, Any]) -> Response[Any]:
    form = await request.form()
    faults = {"delay_s": form.get("delay_s") or 0, "duplicate": form.get("duplicate") or 1,
              "short": form.get("short") or 0, "mangle": bool(form.get("mangle"))}  # fmt: skip
    data = TransferIn(content=str(form.get("content") or ""), amount=int(form.get("amount") or 0) or None,
                      payload=str(form.get("payload") or "") or None, faults=faults)  # fmt: skip
    resolved = _resolve(data)
    if isinstance(resolved, str):
        return Response(_page(_state(request), resolved), media_type="text/html", status_code=422)
    state = _state(request)
    state.transfer(resolved[0], resolved[1], faults)
    await state.send_due(request.app.state.client)
    return Response("", status_code=303, headers={"Location": "/"})


@get("/userapi/transactions/list")
async def transaction_list(request: Request[Any, Any, Any]) -> Response[Any]:
    """SePay's transaction list, newest first (`limit`, `account_number`)."""
    state = _state(request)
    if request.headers.get("authorization") != f"Bearer {state.config.api_token}":
        return Response({"status": 401, "error": "unauthorized", "messages": {"success": False}}, status_code=401)
    limit = int(request.query_params.get("limit") or 100)
    listed = [{"id": str(t["id"]), "bank_brand_name": t["gateway"], "account_number": t["accountNumber"],
               "transaction_date": t["transactionDate"], "amount_out": "0.00",
               "amount_in": f"{t['transferAmount']}.00", "accumulated": f"{t['accumulated']}.00",
               "transaction_content": t["content"], "reference_number": t["referenceCode"], "code": None,
               "sub_account": None, "bank_account_id": "1"}
              for t in reversed(state.transactions)][:limit]  # fmt: skip
    return Response({"status": 200, "error": None, "messages": {"success": True}, "transactions": listed})


@post("/_sim/faults", status_code=200)
async def sim_faults(request: Request[Any, Any, Any], data: dict[str, Any]) -> dict[str, Any]:
    faults = _state(request).faults
    faults.update({key: bool(data[key]) for key in ("down", "shuffle") if key in data})
    return faults


@post("/_sim/config", status_code=200)
async def sim_config(request: Request[Any, Any, Any], data: dict[str, Any]) -> dict[str, Any]:
    config = _state(request).config
    if "webhook_url" in data:
        config.webhook_url = data["webhook_url"]
    return {"webhook_url": config.webhook_url}


@post("/_sim/flush", status_code=200)
async def sim_flush(request: Request[Any, Any, Any]) -> dict[str, int]:
    """Send every pending webhook now, late ones included (what time would do)."""
    state = _state(request)
    for delivery in state.deliveries:
        delivery.due = 0
    sent = await state.send_due(request.app.state.client)
    return {"sent": sent, "pending": sum(not d.delivered for d in state.deliveries)}


@get("/_sim/transactions")
async def sim_transactions(request: Request[Any, Any, Any]) -> dict[str, Any]:
    state = _state(request)
    return {"transactions": state.transactions,
            "deliveries": [{"id": d.body["id"], "attempts": d.attempts, "delivered": d.delivered,
                            "last_status": d.last_status} for d in state.deliveries]}  # fmt: skip


@post("/_sim/reset", status_code=200)
async def sim_reset(request: Request[Any, Any, Any]) -> dict[str, int]:
    state = _state(request)
    state.transactions.clear()
    state.deliveries.clear()
    state.faults.update({"down": False, "shuffle": False})
    return {"transactions": 0}


@get("/", media_type="text/html")
async def page(request: Request[Any, Any, Any]) -> str:
    return _page(_state(request))


def _page(state: BankSimState, error: str | None = None) -> str:
    rows = "".join(
        f"<tr><td>{t['id']}</td><td>{t['transactionDate']}</td><td>{t['transferAmount']:,}</td>"
        f"<td>{html.escape(t['content'])}</td><td>{_delivery_of(state, t['id'])}</td></tr>"
        for t in reversed(state.transactions)
    )
    note = f"<p style='color:#b00'>{html.escape(error)}</p>" if error else ""
    down = " (the feed is DOWN: webhooks wait)" if state.faults["down"] else ""
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>Bank simulator</title>
<style>body{{font-family:sans-serif;margin:2em;max-width:60em}}td,th{{padding:.2em .6em;border-bottom:1px solid #ddd}}
input[type=text],textarea{{width:100%}}</style></head><body>
<h1>Bank simulator (SePay feed){down}</h1>
<p>Account {html.escape(state.config.account)} at {html.escape(state.config.gateway)}; webhooks go to
<code>{html.escape(state.config.webhook_url or "nowhere")}</code>.</p>{note}
<form method="post" action="/transfers">
<p>VietQR payload (from the order's answer; optional)<br><textarea name="payload" rows="2"></textarea></p>
<p>Transfer text (the order's reference; the payload's when empty)<br><input type="text" name="content"></p>
<p>Amount (VND; the payload's when empty) <input name="amount" inputmode="numeric"></p>
<p>Faults: late by <input name="delay_s" size="4" value="0"> s, sent <input name="duplicate" size="2" value="1">
times, <input name="short" size="8" value="0"> đ short, <label><input type="checkbox" name="mangle"> text mangled by
the bank</label></p>
<p><button>Send transfer</button></p></form>
<h2>Transactions</h2><table><tr><th>id</th><th>date</th><th>amount</th><th>text</th><th>webhook</th></tr>{rows}
</table></body></html>"""


def _delivery_of(state: BankSimState, transaction_id: int) -> str:
    found = [d for d in state.deliveries if d.body["id"] == transaction_id]
    return ", ".join(f"{'ok' if d.delivered and d.last_status == 200 else 'pending'} ({d.attempts} tries)"
                     for d in found)  # fmt: skip


def create_simulator(config: BankSimConfig | None = None) -> Litestar:
    state = BankSimState(config or BankSimConfig.from_env())

    @contextlib.asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        app.state.client = httpx.AsyncClient(timeout=5)
        loop = asyncio.create_task(_schedule(state, app))
        try:
            yield
        finally:
            loop.cancel()
            await app.state.client.aclose()

    app = Litestar(
        route_handlers=[api_transfer, form_transfer, transaction_list, sim_faults, sim_config, sim_flush,
                        sim_transactions, sim_reset, page],
        lifespan=[lifespan], openapi_config=None, logging_config=None,
    )  # fmt: skip
    app.state.sim = state
    return app


async def _schedule(state: BankSimState, app: Litestar) -> None:
    while True:
        await asyncio.sleep(0.5)
        with contextlib.suppress(Exception):
            await state.send_due(app.state.client)


def create_from_env() -> Litestar:
    """Factory for granian (`market bank-sim`)."""
    return create_simulator()
