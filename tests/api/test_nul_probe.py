"""A black-box probe: a NUL character in every path, query and header parameter of every operation that the OpenAPI
document lists, without credentials and with the principal each audience uses. None may be a server error."""

from __future__ import annotations

import re

import httpx

from tests.buyers import mobile_buyer
from tests.factories import bearer

NUL = "a\x00b"
_PATH_PARAMETER = re.compile(r"\{[^}]+\}")


def _credentials(path: str, principals: dict[str, str]) -> dict[str, str]:
    for prefix, token in principals.items():
        if path.startswith(prefix):
            return bearer(token)
    return {}


async def test_a_nul_in_any_parameter_is_a_client_error(client: httpx.AsyncClient, seller: dict, operator: str) -> None:
    document = (await client.get("/schema/openapi.json")).json()
    buyer = await mobile_buyer(client)
    principals = {"/api/v1": buyer["token"], "/seller/v1": seller["key"], "/admin/v1": operator}
    failures, sent = [], 0
    for template, item in document["paths"].items():
        for method, operation in item.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            parameters = operation.get("parameters", [])
            path = _PATH_PARAMETER.sub("a%00b", template)
            probes: list[tuple[str, dict[str, str], dict[str, str]]] = []
            if "{" in template:
                probes.append((path, {}, {}))
            path = _PATH_PARAMETER.sub("x", template)
            probes += [(path, {p["name"]: NUL}, {}) for p in parameters if p["in"] == "query"]
            probes += [(path, {}, {p["name"]: NUL}) for p in parameters if p["in"] == "header"]
            for url, query, headers in probes:
                for credentials in ({}, _credentials(template, principals)):
                    response = await client.request(
                        method.upper(), url, params=query, headers={**credentials, **headers}
                    )
                    sent += 1
                    if not 400 <= response.status_code < 500:
                        failures.append((method, url, query, list(headers), response.status_code))
    assert sent > 100
    assert failures == []
