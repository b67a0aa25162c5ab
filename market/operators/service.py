"""Operators and their personal tokens."""

from __future__ import annotations

from market.accounts.service import normalise_email
from market.core.errors import Conflict
from market.core.ids import new_id
from market.core.security import digest, new_token
from market.core.text import nfc
from market.operators.tables import Operator


async def create_operator(name: str, email: str) -> tuple[Operator, str]:
    """A new operator and its token (`mko_...`), shown once; only the digest is stored."""
    address = normalise_email(email)
    if await Operator.exists().where(Operator.email == address).run():
        raise Conflict("An operator with this email exists.", code="operator_exists")
    token = new_token("mko", 32)
    operator = Operator(id=new_id("opr"), name=nfc(name), email=address, token_digest=digest(token))
    await operator.save().run()
    return operator, token


async def operator_for_token(token: str) -> str | None:
    """The id of the live operator holding this token, or None."""
    row = (
        await Operator.select(Operator.id)
        .where((Operator.token_digest == digest(token)) & Operator.revoked_at.is_null())
        .first()
    )
    return row["id"] if row else None
