"""schemathesis over the whole published document, as a stranger and as each kind of principal: no server error,
and every response as the document says (status code, content type, body schema, headers).

Each principal fuzzes the prefix its credential opens (a buyer `/api/v1`, a seller `/seller/v1`, an operator
`/admin/v1`); the stranger fuzzes everything. Signing the principal out would leave the rest of its run
unauthenticated, so the logout operations run only in the stranger's pass (tests/api covers them signed in).
A failure lists every failure class with one request that shows it (`curl`), and the server's log.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.buyers import mobile_buyer
from tests.contract import fuzzing
from tests.contract.served import ServedApp
from tests.factories import bearer

LOGOUTS = ("DELETE /api/v1/sessions/current", "DELETE /seller/v1/sessions/current")
PRINCIPALS = {  # kind: the paths its credential opens
    "anonymous": None,
    "buyer_bearer": r"^/api/v1/",
    "seller_session": r"^/seller/v1/",
    "seller_api_key": r"^/seller/v1/",
    "operator_token": r"^/admin/v1/",
}


@pytest.fixture
async def credentials(client: httpx.AsyncClient, seller: dict[str, Any], operator: str) -> dict[str, dict[str, str]]:
    """The Authorization header of each kind of principal (a mobile buyer, a seller's session and API key, an
    operator), fresh for each run."""
    buyer = await mobile_buyer(client)
    return {"anonymous": {}, "buyer_bearer": buyer["headers"], "seller_session": bearer(seller["session"]),
            "seller_api_key": bearer(seller["key"]), "operator_token": bearer(operator)}  # fmt: skip


@pytest.mark.parametrize("kind", list(PRINCIPALS))
def test_no_server_error_and_every_response_as_documented(
    kind: str, credentials: dict[str, dict[str, str]], served: ServedApp, document: dict[str, Any]
) -> None:
    path_regex = PRINCIPALS[kind]
    findings = fuzzing.run(document, served.base_url, credentials[kind], path_regex=path_regex,
                           exclude=LOGOUTS if path_regex else ())  # fmt: skip
    assert findings.operations > 0
    found = f"as {kind}:\n{findings.report()}\n\nserver log:\n{served.log()}"
    assert not findings.counts and not findings.errors, found
