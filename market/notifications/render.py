"""Rendering a message from its templates (Jinja2).

Jinja2 (Pallets, maintained since 2008, the engine of Flask, Ansible and Sphinx) renders the per-kind templates in
`templates/<language>/<kind>.txt`, each with three blocks: `subject`, `body` (paragraphs separated by blank lines)
and `sms` (short, ASCII: a Vietnamese SMS without diacritics fits one 160-character GSM segment instead of a
70-character UCS-2 one). The HTML email is the `email.html` layout, rendered with autoescape on, so a product name
or a reason typed by a seller can never inject markup. `StrictUndefined` makes a template that names a missing
value fail in the tests rather than send a hole.
"""

from __future__ import annotations

import functools
import unicodedata
from dataclasses import dataclass
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from market.notifications.kinds import Language

LINK_LABEL = {"vi": "Xem chi tiết", "en": "View details"}
UNSUBSCRIBE_LABEL = {"vi": "Không muốn nhận loại thông báo này nữa? Hủy đăng ký",
                     "en": "Don't want these messages? Unsubscribe"}  # fmt: skip


@dataclass(frozen=True)
class Rendered:
    """A message in every form a channel sends: email subject, text and HTML, and the SMS text."""

    subject: str
    text: str
    html: str
    sms: str


def sms_text(text: str) -> str:
    """Vietnamese without diacritics ("Chợ Nông Sản" -> "Cho Nong San", "₫" -> "d"): one GSM-7 segment holds 160
    such characters, against 70 with them."""
    text = text.replace("đ", "d").replace("Đ", "D").replace("₫", "d")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char)).encode("ascii", "ignore").decode()


def vnd(amount: int) -> str:
    """125000 -> "125.000 ₫" (the Vietnamese grouping)."""
    return f"{amount:,}".replace(",", ".") + " ₫"


@functools.cache
def environment() -> Environment:
    return Environment(
        loader=PackageLoader("market.notifications", "templates"),
        autoescape=select_autoescape(["html"], default_for_string=False, default=False),
        undefined=StrictUndefined,
        keep_trailing_newline=False,
    )


def _block(template: Any, name: str, data: dict[str, Any]) -> str:
    return "".join(template.blocks[name](template.new_context(data))).strip()


def render(kind: str, language: Language, data: dict[str, Any], unsubscribe_url: str | None = None) -> Rendered:
    """Render one message of `kind` in `language` from its data (which carries `marketplace` and `link`)."""
    env = environment()
    template = env.get_template(f"{language}/{kind}.txt")
    subject = _block(template, "subject", data)
    body = _block(template, "body", data)
    link = data.get("link")
    text = body + (f"\n\n{LINK_LABEL[language]}: {link}" if link else "")
    if unsubscribe_url:
        text += f"\n\n{UNSUBSCRIBE_LABEL[language]}: {unsubscribe_url}"
    html = env.get_template("email.html").render(
        language=language, subject=subject, paragraphs=[p.strip() for p in body.split("\n\n") if p.strip()],
        marketplace=data.get("marketplace", ""), link=link, link_label=LINK_LABEL[language],
        unsubscribe_url=unsubscribe_url, unsubscribe_label=UNSUBSCRIBE_LABEL[language],
    )  # fmt: skip
    return Rendered(subject, text, html, sms_text(_block(template, "sms", data)))
