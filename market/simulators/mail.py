"""A local mail server for development and the tests (`market mail-sim`): a real SMTP server (aiosmtpd) that keeps
what it receives in memory, and a page that shows it.

- SMTP on MAIL_SIM_SMTP_PORT (default 8025): the app's SMTP_HOST/SMTP_PORT point here; it speaks real SMTP, so
  the app's aiosmtplib client is what the tests exercise.
- HTTP on the CLI's `--port` (default 8026): `GET /` the mailbox page (newest first), `GET /messages/{n}` one
  message's HTML, `GET /messages` every message as JSON (from, to, subject, headers, text, html),
  `POST /_sim/reset` empties it, `POST /_sim/faults` `{"down": true}` answers every mail `451` (try later),
  `{"refuse": ["a@b.vn"]}` answers `550` for those recipients, `{"answer_delay_s": 3}` keeps each message at once
  but answers its DATA that much later (a busy server writing to disk: the client's wait for the "250" is where an
  email can be taken without the sender knowing).
"""

from __future__ import annotations

import asyncio
import html
import logging
import os
import threading
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from litestar import Litestar, Response, get, post


class Mailbox:
    """What the server received, and its faults (shared by the SMTP thread and the HTTP handlers)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.messages: list[dict[str, Any]] = []
        self.down = False
        self.refuse: set[str] = set()
        self.answer_delay_s = 0.0

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        if self.down:
            return "451 4.3.0 Mail server temporarily unavailable"
        if address.lower() in self.refuse:
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or envelope.content or b""
        parsed = message_from_bytes(raw if isinstance(raw, bytes) else raw.encode(), policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        text = parsed.get_body(("plain",))
        page = parsed.get_body(("html",))
        with self.lock:
            self.messages.append({
                "n": len(self.messages) + 1, "received_at": datetime.now(UTC).isoformat(),
                "mail_from": envelope.mail_from, "rcpt_to": list(envelope.rcpt_tos),
                "from": str(parsed["From"]), "to": str(parsed["To"]), "subject": str(parsed["Subject"]),
                "headers": {key: str(value) for key, value in parsed.items()},
                "text": text.get_content() if text is not None else "",
                "html": page.get_content() if page is not None else "",
            })  # fmt: skip
        if self.answer_delay_s:
            await asyncio.sleep(self.answer_delay_s)
        return "250 Message accepted"


MAILBOX = Mailbox()


@get("/", media_type="text/html", sync_to_thread=False)
def page() -> str:
    with MAILBOX.lock:
        rows = list(reversed(MAILBOX.messages))
    items = "".join(
        f"<tr><td>{m['n']}</td><td>{html.escape(m['received_at'][:19])}</td><td>{html.escape(m['to'])}</td>"
        f"<td><a href='/messages/{m['n']}'>{html.escape(m['subject'])}</a></td>"
        f"<td>{html.escape(m['headers'].get('X-Market-Kind', ''))}</td></tr>"
        for m in rows
    )
    return ("<!doctype html><meta charset='utf-8'><title>market mail</title><h1>Mail received</h1>"
            f"<p>{len(rows)} messages (JSON: <a href='/messages'>/messages</a>)</p>"
            "<table border='1' cellpadding='4'><tr><th>#</th><th>received (UTC)</th><th>to</th><th>subject</th>"
            f"<th>kind</th></tr>{items}</table>")  # fmt: skip


@get("/messages", sync_to_thread=False)
def messages() -> list[dict[str, Any]]:
    with MAILBOX.lock:
        return list(MAILBOX.messages)


@get("/messages/{n:int}", media_type="text/html", sync_to_thread=False)
def one(n: int) -> Response[str]:
    with MAILBOX.lock:
        found = next((m for m in MAILBOX.messages if m["n"] == n), None)
    if found is None:
        return Response("no such message", status_code=404, media_type="text/plain")
    return Response(found["html"] or f"<pre>{html.escape(found['text'])}</pre>", media_type="text/html")


@post("/_sim/reset", status_code=200, sync_to_thread=False)
def reset() -> dict[str, bool]:
    with MAILBOX.lock:
        MAILBOX.messages.clear()
        MAILBOX.down = False
        MAILBOX.refuse = set()
        MAILBOX.answer_delay_s = 0.0
    return {"ok": True}


@post("/_sim/faults", status_code=200, sync_to_thread=False)
def faults(data: dict[str, Any]) -> dict[str, Any]:
    MAILBOX.down = bool(data.get("down", False))
    MAILBOX.refuse = {str(address).lower() for address in data.get("refuse", [])}
    MAILBOX.answer_delay_s = float(data.get("answer_delay_s", 0))
    return {"down": MAILBOX.down, "refuse": sorted(MAILBOX.refuse), "answer_delay_s": MAILBOX.answer_delay_s}


def create_app(smtp_host: str = "127.0.0.1", smtp_port: int = 8025) -> Litestar:
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every SMTP command at INFO
    controller = Controller(MAILBOX, hostname=smtp_host, port=smtp_port)

    def start() -> None:
        controller.start()

    def stop() -> None:
        controller.stop()

    return Litestar([page, messages, one, reset, faults], on_startup=[start], on_shutdown=[stop], debug=False)


def create_from_env() -> Litestar:
    """Factory for granian: MAIL_SIM_SMTP_HOST (127.0.0.1) and MAIL_SIM_SMTP_PORT (8025)."""
    return create_app(
        os.environ.get("MAIL_SIM_SMTP_HOST", "127.0.0.1"), int(os.environ.get("MAIL_SIM_SMTP_PORT", "8025"))
    )
