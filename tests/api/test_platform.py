"""What every client sees of the platform: health, request ids, problem+json, OpenAPI, metrics."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
import pytest

from market.app import create_app
from market.settings import Settings
from tests.http import app_client
from tests.probes import PROBES

PROBLEM = "application/problem+json"


@pytest.fixture(scope="module")
async def probe_client(settings: Settings, client: httpx.AsyncClient) -> AsyncIterator[httpx.AsyncClient]:
    async with app_client(create_app(settings, extra_route_handlers=PROBES)) as probe:
        yield probe


async def test_live_answers_without_touching_dependencies(client: httpx.AsyncClient) -> None:
    response = await client.get("/health/live")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_ready_reports_each_dependency_with_latency(client: httpx.AsyncClient) -> None:
    response = await client.get("/health/ready")
    assert response.status_code == 200, response.text
    checks = response.json()["checks"]
    assert set(checks) == {"postgres", "redis", "meilisearch"}
    for check in checks.values():
        assert check["status"] == "up"
        assert isinstance(check["latency_ms"], float | int)


async def test_request_id_is_honoured_and_returned(client: httpx.AsyncClient) -> None:
    response = await client.get("/health/live", headers={"X-Request-ID": "abc-123"})
    assert response.headers["x-request-id"] == "abc-123"


@pytest.mark.parametrize("path", ["/health/live", "/api/v1/categories", "/no/such/route"])
async def test_every_answer_forbids_sniffing_and_referrers(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"


async def test_unsafe_request_id_is_replaced(client: httpx.AsyncClient) -> None:
    response = await client.get("/health/live", headers={"X-Request-ID": "bad id\twith spaces"})
    assert response.headers["x-request-id"] != "bad id\twith spaces"
    assert len(response.headers["x-request-id"]) == 32


async def test_unknown_route_is_a_problem_with_code_and_request_id(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/nothing-here", headers={"X-Request-ID": "trace-404"})
    assert response.status_code == 404
    assert response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    assert body["code"] == "not_found"
    assert body["status"] == 404
    assert body["request_id"] == "trace-404"
    assert {"type", "title", "detail"} <= set(body)


async def test_wrong_method_is_a_problem(client: httpx.AsyncClient) -> None:
    response = await client.delete("/health/live")
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


async def test_domain_conflict_keeps_its_code_and_context(probe_client: httpx.AsyncClient) -> None:
    response = await probe_client.get("/probe/conflict")
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "illegal_transition"
    assert body["current_status"] == "packed"


async def test_validation_problem_names_the_fields(probe_client: httpx.AsyncClient) -> None:
    response = await probe_client.get("/probe/invalid")
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "variants[0].price", "code": "below_minimum", "message": "Price must be above 0."}
    ]


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({"name": "Mãng cầu", "price": 1, "seller_id": "sel_x"}, "seller_id", "unknown_field"),
        ({"name": "Mãng cầu", "price": "free"}, "price", "invalid_type"),
        ({"name": "Mãng cầu"}, "price", "required"),
    ],
)
async def test_bad_bodies_are_422_naming_the_field(
    probe_client: httpx.AsyncClient, body: dict[str, object], field: str, code: str
) -> None:
    response = await probe_client.post("/probe/body", json=body)
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["code"] == "validation_failed"
    assert [(error["field"], error["code"]) for error in problem["errors"]] == [(field, code)]


async def test_malformed_json_is_400(probe_client: httpx.AsyncClient) -> None:
    response = await probe_client.post(
        "/probe/body", content=b'{"name": "x", ', headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["code"] == "malformed_request"


async def test_unexpected_error_is_a_500_problem_without_internals(probe_client: httpx.AsyncClient) -> None:
    response = await probe_client.get("/probe/crash")
    assert response.status_code == 500
    body = response.json()
    assert body["code"] == "internal_error"
    assert "internal detail" not in response.text


async def test_a_full_postgres_is_a_503_not_a_bug(probe_client: httpx.AsyncClient) -> None:
    response = await probe_client.get("/probe/postgres-full")
    assert response.status_code == 503
    assert response.json()["dependency"] == "postgres"
    assert response.headers["retry-after"]


async def test_openapi_document_and_docs_page(client: httpx.AsyncClient) -> None:
    document = (await client.get("/schema/openapi.json")).json()
    assert document["openapi"].startswith("3.1")
    operation = document["paths"]["/health/ready"]["get"]
    assert operation["operationId"] == "health_ready"
    page = await client.get("/schema")
    assert page.status_code == 200
    assert "text/html" in page.headers["content-type"]


async def test_metrics_count_requests_by_route(client: httpx.AsyncClient) -> None:
    await client.get("/health/live")
    response = await client.get("/metrics")
    assert response.status_code == 200
    lines = [line for line in response.text.splitlines() if line.startswith("market_requests_total")]
    assert any('path="/health/live"' in line for line in lines), lines


async def test_logs_are_json_lines_with_the_request_id(settings: Settings, capfd: pytest.CaptureFixture[str]) -> None:
    from dataclasses import replace

    app = create_app(replace(settings, log_access=True, log_level="info"))
    async with app_client(app) as logged:
        await logged.get("/health/live", headers={"X-Request-ID": "log-me-1"})
    create_app(settings)  # restore the suite's quieter logging
    lines = [json.loads(line) for line in capfd.readouterr().out.splitlines() if line.startswith("{")]
    access = [line for line in lines if line.get("request_id") == "log-me-1"]
    assert access and access[0]["status"] == 200 and access[0]["path"] == "/health/live"
    assert access[0]["event"] == "request" and "timestamp" in access[0]
