"""Email by SMTP, with aiosmtplib (an asyncio SMTP client: the worker's event loop never blocks on a socket).

A small pool of open connections is reused across messages (one SMTP session per message would cost a TCP and
EHLO round trip each). The Message-ID is built from the delivery's id, so a message sent again after a crash
is recognisably the same one. Optional kinds carry `List-Unsubscribe` and `List-Unsubscribe-Post` (RFC 8058:
one-click unsubscribe from the mail client) besides the link in the body.
"""

from __future__ import annotations

import asyncio
import contextlib
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

import aiosmtplib

from market.notifications.channels.base import Outgoing, Refused, Unavailable
from market.notifications.kinds import Channel
from market.settings import Settings

POOL_SIZE = 4


def build_message(message: Outgoing, sender: str) -> EmailMessage:
    """The MIME message: text and HTML alternatives, UTF-8 headers."""
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = message.address
    mail["Subject"] = message.rendered.subject
    mail["Date"] = formatdate(localtime=False)
    domain = sender.rpartition("@")[2].rstrip(">") or "localhost"
    mail["Message-ID"] = make_msgid(idstring=message.delivery_id, domain=domain)
    mail["X-Market-Delivery"] = message.delivery_id
    mail["X-Market-Kind"] = message.kind.name
    if message.unsubscribe_url:
        mail["List-Unsubscribe"] = f"<{message.unsubscribe_url}>"
        mail["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    mail.set_content(message.rendered.text)
    mail.add_alternative(message.rendered.html, subtype="html")
    return mail


class EmailSender:
    """Sends by SMTP through a pool of `POOL_SIZE` connections."""

    name: Channel = "email"

    def __init__(self, settings: Settings) -> None:
        assert settings.smtp_host is not None
        self.settings = settings
        self._idle: list[aiosmtplib.SMTP] = []
        self._slots = asyncio.Semaphore(POOL_SIZE)

    async def _connect(self) -> aiosmtplib.SMTP:
        s = self.settings
        client = aiosmtplib.SMTP(hostname=s.smtp_host, port=s.smtp_port, timeout=s.notify_timeout_s,
                                 start_tls=s.smtp_starttls, use_tls=False)  # fmt: skip
        await client.connect()
        if s.smtp_username and s.smtp_password:
            await client.login(s.smtp_username, s.smtp_password)
        return client

    async def send(self, message: Outgoing) -> str:
        mail = build_message(message, self.settings.mail_from)
        async with self._slots:
            client = self._idle.pop() if self._idle else None
            try:
                if client is None or not client.is_connected:
                    client = await self._connect()
                await client.send_message(mail)
            except aiosmtplib.SMTPRecipientsRefused as exc:  # 4xx: try later; 5xx: this address never works
                await self._discard(client)
                permanent = any(refusal.code >= 500 for refusal in exc.recipients)
                raise (Refused if permanent else Unavailable)(f"recipient refused: {exc}") from exc
            except aiosmtplib.SMTPResponseException as exc:
                await self._discard(client)
                if 500 <= exc.code < 600:
                    raise Refused(f"SMTP {exc.code} {exc.message}") from exc
                raise Unavailable(f"SMTP {exc.code} {exc.message}") from exc
            except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
                await self._discard(client)
                raise Unavailable(f"SMTP: {exc!r}") from exc
            self._idle.append(client)
        return str(mail["Message-ID"]).strip("<>")

    async def _discard(self, client: aiosmtplib.SMTP | None) -> None:
        if client is not None:
            with contextlib.suppress(Exception):
                client.close()

    async def close(self) -> None:
        while self._idle:
            client = self._idle.pop()
            with contextlib.suppress(Exception):
                await client.quit()
