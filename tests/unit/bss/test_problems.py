"""RFC 9457 problem+json: every error of a service, expected or not, answers in one shape with the request id."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import date
from decimal import Decimal
from typing import Annotated, Any

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI, Query
from pydantic import BaseModel, ConfigDict, Field

from bss.observability import RequestContextMiddleware
from bss.problems import PROBLEM_JSON, TYPE_BASE, NotFound, Problem, install_problem_handlers

LEAKY_MESSAGE = "password=hunter2 at /srv/app/secret_module.py"


class QuotaExceeded(Problem):
    type_ = "quota-exceeded"
    title = "Quota exceeded"
    status = 409


class OrderCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sku: str
    quantity: Decimal = Field(gt=0)


def build_app() -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)
    app.add_middleware(RequestContextMiddleware, service="problems-test")

    @app.get("/quota")
    async def quota() -> None:
        raise QuotaExceeded("Reseller r-1 has used 100 of its 100 seats", seats=100)

    @app.get("/subscriptions/{subscription_id}")
    async def subscription(subscription_id: str) -> None:
        raise NotFound(f"No subscription {subscription_id}")

    @app.post("/orders")
    async def create_order(order: OrderCreate, as_of: Annotated[date, Query()]) -> dict[str, str]:
        return {"sku": order.sku, "as_of": as_of.isoformat()}

    @app.get("/crash")
    async def crash() -> None:
        raise RuntimeError(LEAKY_MESSAGE)

    return app


@pytest_asyncio.fixture(loop_scope="session")
async def client() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=build_app(), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://service.test") as instance:
        yield instance


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status
    assert response.headers["content-type"].split(";")[0] == PROBLEM_JSON
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    return body


# --- Problem subclasses -----------------------------------------------------------------------------------


@pytest.mark.asyncio(loop_scope="session")
async def test_raised_problem_answers_its_status_type_title_detail_and_instance(client: httpx.AsyncClient) -> None:
    body = assert_problem(await client.get("/quota"), 409)
    assert body["type"] == TYPE_BASE + "quota-exceeded"
    assert body["title"] == "Quota exceeded"
    assert body["detail"] == "Reseller r-1 has used 100 of its 100 seats"
    assert body["instance"] == "/quota"
    assert body["seats"] == 100  # extension members travel with the problem


@pytest.mark.asyncio(loop_scope="session")
async def test_not_found_problem_names_the_missing_resource(client: httpx.AsyncClient) -> None:
    body = assert_problem(await client.get("/subscriptions/sub-9"), 404)
    assert body["type"] == TYPE_BASE + "not-found"
    assert body["detail"] == "No subscription sub-9"
    assert body["instance"] == "/subscriptions/sub-9"


def test_problem_type_that_is_already_a_uri_is_kept() -> None:
    class Absolute(Problem):
        type_ = "https://errors.example/out-of-stock"

    assert Problem("x").body()["type"] == "about:blank"
    assert Absolute("x").body()["type"] == "https://errors.example/out-of-stock"


def test_problem_status_and_title_can_be_set_per_instance() -> None:
    body = QuotaExceeded("try later", status=429, title="Slow down").body("/quota")
    assert (body["status"], body["title"], body["instance"]) == (429, "Slow down", "/quota")
    assert QuotaExceeded.status == 409


# --- request validation -----------------------------------------------------------------------------------


@pytest.mark.asyncio(loop_scope="session")
async def test_validation_error_is_a_422_problem_naming_each_field_and_where_it_is(client: httpx.AsyncClient) -> None:
    response = await client.post("/orders", params={"as_of": "not-a-date"}, json={"sku": "S-1", "quantity": "lots"})
    body = assert_problem(response, 422)
    assert body["type"] == TYPE_BASE + "validation-error"
    located = {(error["field"], error["in"]) for error in body["errors"]}
    assert located == {("quantity", "body"), ("as_of", "query")}
    assert all(error["message"] for error in body["errors"])
    assert body["detail"] == "Fix these fields: as_of, quantity"


@pytest.mark.asyncio(loop_scope="session")
async def test_missing_query_parameter_is_named(client: httpx.AsyncClient) -> None:
    body = assert_problem(await client.post("/orders", json={"sku": "S-1", "quantity": "2"}), 422)
    assert [(error["field"], error["in"]) for error in body["errors"]] == [("as_of", "query")]


@pytest.mark.asyncio(loop_scope="session")
async def test_rule_violation_in_the_body_is_named(client: httpx.AsyncClient) -> None:
    response = await client.post("/orders", params={"as_of": "2024-01-01"}, json={"sku": "S-1", "quantity": "0"})
    body = assert_problem(response, 422)
    assert [error["field"] for error in body["errors"]] == ["quantity"]


@pytest.mark.asyncio(loop_scope="session")
async def test_unknown_body_field_is_named(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/orders", params={"as_of": "2024-01-01"}, json={"sku": "S-1", "quantity": "1", "discount": "99"}
    )
    body = assert_problem(response, 422)
    assert [error["field"] for error in body["errors"]] == ["discount"]


@pytest.mark.asyncio(loop_scope="session")
async def test_a_valid_request_is_not_a_problem(client: httpx.AsyncClient) -> None:
    response = await client.post("/orders", params={"as_of": "2024-01-01"}, json={"sku": "S-1", "quantity": "1"})
    assert response.status_code == 200
    assert response.json() == {"sku": "S-1", "as_of": "2024-01-01"}


# --- framework errors -------------------------------------------------------------------------------------


@pytest.mark.asyncio(loop_scope="session")
async def test_unknown_route_is_a_404_problem(client: httpx.AsyncClient) -> None:
    body = assert_problem(await client.get("/no/such/route"), 404)
    assert body["title"] == "Not found"
    assert body["instance"] == "/no/such/route"


@pytest.mark.asyncio(loop_scope="session")
async def test_wrong_method_is_a_405_problem_that_keeps_the_allow_header(client: httpx.AsyncClient) -> None:
    response = await client.delete("/quota")
    body = assert_problem(response, 405)
    assert body["title"] == "Method not allowed"
    assert response.headers["allow"] == "GET"


# --- unexpected errors ------------------------------------------------------------------------------------


@pytest.mark.asyncio(loop_scope="session")
async def test_unexpected_exception_is_a_500_problem_without_traceback_or_message(client: httpx.AsyncClient) -> None:
    response = await client.get("/crash")
    body = assert_problem(response, 500)
    assert body["type"] == TYPE_BASE + "internal-error"
    assert body["title"] == "Internal error"
    for leak in ("Traceback", "RuntimeError", "hunter2", "secret_module", 'File "'):
        assert leak not in response.text


@pytest.mark.asyncio(loop_scope="session")
async def test_unexpected_exception_problem_carries_the_request_id_it_asks_to_quote(client: httpx.AsyncClient) -> None:
    response = await client.get("/crash", headers={"x-request-id": "req-crash-1"})
    body = assert_problem(response, 500)
    assert "quote the request id" in body["detail"]
    assert response.headers.get("x-request-id") == "req-crash-1"
    assert body.get("request_id") == "req-crash-1"


# --- request id -------------------------------------------------------------------------------------------


@pytest.mark.asyncio(loop_scope="session")
@pytest.mark.parametrize(
    ("method", "path", "status"),
    [("GET", "/quota", 409), ("GET", "/no/such/route", 404), ("POST", "/orders", 422)],
)
async def test_generated_request_id_is_echoed_in_header_and_problem_body(
    client: httpx.AsyncClient, method: str, path: str, status: int
) -> None:
    response = await client.request(method, path)
    body = assert_problem(response, status)
    request_id = response.headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", request_id)
    assert body["request_id"] == request_id


@pytest.mark.asyncio(loop_scope="session")
async def test_each_request_gets_its_own_generated_request_id(client: httpx.AsyncClient) -> None:
    first = await client.get("/quota")
    second = await client.get("/quota")
    assert first.headers["x-request-id"] != second.headers["x-request-id"]


@pytest.mark.asyncio(loop_scope="session")
@pytest.mark.parametrize("incoming", ["req-123", "0f8e1c2a-7b3d-4e5f-9a6b-1c2d3e4f5a6b", "r" * 200])
async def test_incoming_valid_request_id_is_kept(client: httpx.AsyncClient, incoming: str) -> None:
    response = await client.get("/quota", headers={"x-request-id": incoming})
    assert response.headers["x-request-id"] == incoming
    assert response.json()["request_id"] == incoming


@pytest.mark.asyncio(loop_scope="session")
async def test_oversized_request_id_is_replaced(client: httpx.AsyncClient) -> None:
    incoming = "r" * 201
    response = await client.get("/quota", headers={"x-request-id": incoming})
    request_id = response.headers["x-request-id"]
    assert request_id != incoming
    assert re.fullmatch(r"[0-9a-f]{32}", request_id)
    assert response.json()["request_id"] == request_id


@pytest.mark.asyncio(loop_scope="session")
async def test_blank_request_id_is_replaced(client: httpx.AsyncClient) -> None:
    response = await client.get("/quota", headers={"x-request-id": "   "})
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["x-request-id"])


@pytest.mark.asyncio(loop_scope="session")
async def test_request_id_does_not_outlive_its_request(client: httpx.AsyncClient) -> None:
    await client.get("/quota", headers={"x-request-id": "req-first"})
    response = await client.get("/quota")
    assert response.json()["request_id"] != "req-first"


def test_instance_is_the_path_the_client_called_through_the_gateway() -> None:
    from bss.service_app import public_path_prefix

    assert public_path_prefix("billing") == "/api/v1/billing"
    assert public_path_prefix("support-sla") == "/api/v1/support"  # the gateway's name for it
