"""Email by SMTP, with aiosmtplib (an asyncio SMTP client: the worker's event loop never blocks on a socket).

A small pool of open connections is reused across messages (one SMTP session per message would cost a TCP and
EHLO round trip each). The Message-ID is the delivery's id (`<ntf_...@domain>`), the same on every attempt, so a
copy sent again by an operator is recognisably the same message. Optional kinds carry `List-Unsubscribe` and
`List-Unsubscribe-Post` (RFC 8058: one-click unsubscribe from the mail client) besides the link in the body.

SMTP has no idempotency key, so the session is split where it matters: a failure before the message is handed over
(connecting, EHLO, MAIL, RCPT, or any answer with a code) means the server did not take it and it is tried again;
once DATA began, a lost connection or a silent server means it may have been accepted (`Unknown`: not resent
automatically). The final answer is waited for SMTP_DATA_TIMEOUT_S (RFC 5321 4.5.3.2 asks clients to wait minutes
there, a server may be writing the message to disk), not NOTIFY_TIMEOUT_S: a busy server's slow "250" is the
commonest way an email gets sent twice.
"""

from __future__ import annotations

import asyncio
import contextlib
from email.message import EmailMessage
from email.utils import formatdate, parseaddr

import aiosmtplib
from aiosmtplib.email import flatten_message

from market.notifications.channels.base import Begin, Outgoing, Refused, Superseded, Unavailable, Unknown
from market.notifications.kinds import Channel
from market.settings import Settings

POOL_SIZE = 4


def message_id(delivery_id: str, sender: str) -> str:
    """The Message-ID of a delivery's email, without its angle brackets (the same on every attempt)."""
    domain = sender.rpartition("@")[2].rstrip(">").strip() or "localhost"
    return f"{delivery_id}@{domain}"


def build_message(message: Outgoing, sender: str) -> EmailMessage:
    """The MIME message: text and HTML alternatives, UTF-8 headers."""
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = message.address
    mail["Subject"] = message.rendered.subject
    mail["Date"] = formatdate(localtime=False)
    mail["Message-ID"] = f"<{message_id(message.delivery_id, sender)}>"
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
    idempotent = False

    def __init__(self, settings: Settings) -> None:
        assert settings.smtp_host is not None
        self.settings = settings
        self.envelope_from = parseaddr(settings.mail_from)[1] or "no-reply@localhost"
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

    async def send(self, message: Outgoing, begin: Begin) -> str:
        mail = build_message(message, self.settings.mail_from)
        async with self._slots:
            if not await begin():
                raise Superseded(message.delivery_id)
            client = await self._envelope(message.address)
            await self._data(client, mail)
            self._idle.append(client)
        return message_id(message.delivery_id, self.settings.mail_from)

    async def _envelope(self, address: str) -> aiosmtplib.SMTP:
        """A connection on which MAIL and RCPT for `address` were accepted (a pooled one the server has closed is
        replaced once); nothing is handed over yet, so every failure here is a definite "not sent"."""
        client = self._idle.pop() if self._idle else None
        for fresh in (False, True):
            try:
                if fresh or client is None or not client.is_connected:
                    await self._discard(client)
                    client = await self._connect()
                options = ["BODY=8BITMIME"] if client.supports_extension("8BITMIME") else []
                await client.mail(self.envelope_from, options=options)
                await client.rcpt(address)
                return client
            except aiosmtplib.SMTPServerDisconnected as exc:
                await self._discard(client)
                client = None
                if fresh:
                    raise Unavailable(f"SMTP: {exc!r}") from exc
            except aiosmtplib.SMTPResponseException as exc:  # 4xx: try later; 5xx: this address never works
                await self._discard(client)
                if 500 <= exc.code < 600:
                    raise Refused(f"SMTP {exc.code} {exc.message}") from exc
                raise Unavailable(f"SMTP {exc.code} {exc.message}") from exc
            except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
                await self._discard(client)
                raise Unavailable(f"SMTP: {exc!r}") from exc
        raise AssertionError("unreachable")

    async def _data(self, client: aiosmtplib.SMTP, mail: EmailMessage) -> None:
        """DATA: an answer with a code is definite (not taken); no answer is `Unknown` (perhaps taken)."""
        cte = "8bit" if client.supports_extension("8BITMIME") else "7bit"
        raw = flatten_message(mail, cte_type=cte)
        try:
            await client.data(raw, timeout=self.settings.smtp_data_timeout_s)
        except aiosmtplib.SMTPResponseException as exc:
            await self._discard(client)
            if 500 <= exc.code < 600:
                raise Refused(f"SMTP {exc.code} {exc.message}") from exc
            raise Unavailable(f"SMTP {exc.code} {exc.message}") from exc
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            await self._discard(client)
            raise Unknown(f"SMTP: no answer to DATA: {exc!r}", str(mail["Message-ID"]).strip("<>")) from exc

    async def _discard(self, client: aiosmtplib.SMTP | None) -> None:
        if client is not None:
            with contextlib.suppress(Exception):
                client.close()

    async def close(self) -> None:
        while self._idle:
            client = self._idle.pop()
            with contextlib.suppress(Exception):
                await client.quit()
