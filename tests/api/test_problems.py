"""Problems as clients read them: status, title and code come from the one registry (`market.core.codes`)."""

from __future__ import annotations

import httpx

from market.core import codes


async def test_a_problem_s_title_is_its_code_s_registered_title(client: httpx.AsyncClient) -> None:
    answer = await client.post("/api/v1/sessions", json={"identifier": "ghost@example.vn", "password": "x" * 12})
    body = answer.json()
    registered = codes.problem_code("invalid_credentials")
    assert (answer.status_code, body["status"], body["code"]) == (registered.status, 401, "invalid_credentials")
    assert body["title"] == "Invalid credentials" == registered.title
    assert body["type"] == "urn:market:problem:invalid_credentials"


async def test_framework_errors_take_the_generic_code_of_their_status(client: httpx.AsyncClient) -> None:
    missing = await client.get("/api/v1/nothing-here")
    wrong_method = await client.delete("/health/live")
    assert (missing.json()["code"], missing.json()["title"]) == ("not_found", "Not found")
    assert (wrong_method.json()["code"], wrong_method.json()["title"]) == ("method_not_allowed", "Method not allowed")
