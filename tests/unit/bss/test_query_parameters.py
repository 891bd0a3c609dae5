"""A query parameter an operation does not declare is refused with a 400 problem naming it, on every operation of
an app `create_service_app` builds, from what the route declares (its parameters, its dependencies', a query
model's fields); declared parameters, repeated ones included, still work."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated, Any

import httpx
import pytest
import pytest_asyncio
from fastapi import APIRouter, Depends, FastAPI, Query
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import MetaData

from bss.api.json_body import JsonBodyRoute
from bss.api.query_parameters import UNKNOWN_QUERY_PARAMETER, declared_by_operation
from bss.messaging.tables import MessagingTables
from bss.problems import PROBLEM_JSON, TYPE_BASE
from bss.service_app import ServiceDefinition, create_service_app
from bss.settings import ServiceSettings

ASYNC = pytest.mark.asyncio(loop_scope="session")


def paging(cursor: str | None = None, limit: Annotated[int, Query(ge=1, le=10)] = 5) -> dict[str, Any]:
    return {"cursor": cursor, "limit": limit}


Paging = Annotated[dict[str, Any], Depends(paging)]


class Filters(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: str | None = None
    created_from: str | None = Field(default=None, alias="from")


class AnyFilters(BaseModel):
    model_config = ConfigDict(extra="allow")


class WidgetCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str


def tenant(tenant_id: str | None = None) -> str | None:
    return tenant_id


def widget_router() -> APIRouter:
    router = APIRouter(prefix="/v1", route_class=JsonBodyRoute)

    @router.get("/widgets")
    async def list_widgets(
        page: Paging,
        tag: Annotated[list[str] | None, Query()] = None,
        as_of: Annotated[str | None, Query(alias="as-of")] = None,
    ) -> dict[str, Any]:
        return {**page, "tag": tag, "as_of": as_of}

    @router.get("/widgets/{widget_id}")
    async def read_widget(widget_id: str) -> dict[str, str]:
        return {"id": widget_id}

    @router.get("/filtered")
    async def filtered(filters: Annotated[Filters, Query()]) -> dict[str, Any]:
        return filters.model_dump(by_alias=True)

    @router.get("/anything")
    async def anything(filters: Annotated[AnyFilters, Query()]) -> dict[str, Any]:
        return filters.model_dump()

    @router.post("/widgets", status_code=201)
    async def create_widget(body: WidgetCreate, dry_run: bool = False) -> dict[str, Any]:
        return {"name": body.name, "dry_run": dry_run}

    return router


def scoped_router() -> APIRouter:
    """A router whose every route reads `tenant_id` through a router-level dependency."""
    router = APIRouter(prefix="/v1/scoped", dependencies=[Depends(tenant)])

    @router.get("")
    async def scoped() -> dict[str, str]:
        return {"ok": "yes"}

    return router


def build_app() -> FastAPI:
    metadata = MetaData()
    return create_service_app(
        ServiceDefinition(
            name="widgets",
            title="Widgets",
            description="",
            settings=ServiceSettings(),
            metadata=metadata,
            tables=MessagingTables.define(metadata),
            migrations_dir=Path("unused"),  # the lifespan does not run: these routes need no database
            routers=[widget_router(), scoped_router()],
        )
    )


@pytest_asyncio.fixture(loop_scope="session")
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=build_app()), base_url="http://widgets") as c:
        yield c


def refused(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    problem: dict[str, Any] = response.json()
    assert problem["type"] == TYPE_BASE + "unknown-query-parameter"
    assert problem["status"] == 400
    return problem


@ASYNC
async def test_a_misspelt_parameter_is_refused_naming_it_and_the_declared_ones(client: httpx.AsyncClient) -> None:
    problem = refused(await client.get("/v1/widgets", params={"pag": "2", "limit": "3"}))
    assert problem["errors"] == [{"field": "pag", "message": "not a query parameter of this operation", "in": "query"}]
    assert problem["accepted"] == ["as-of", "cursor", "limit", "tag"]  # the dependency's too
    assert "'pag'" in problem["detail"]
    assert "as-of, cursor, limit, tag" in problem["detail"]
    assert problem["instance"] == "/api/v1/widgets/widgets"  # the path the client called, through the gateway


@ASYNC
async def test_every_unknown_parameter_is_named(client: httpx.AsyncClient) -> None:
    problem = refused(await client.get("/v1/widgets?b=1&a=2&b=3&limit=2"))
    assert [error["field"] for error in problem["errors"]] == ["b", "a"]


@ASYNC
async def test_declared_parameters_repeated_ones_and_aliases_still_work(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/widgets?tag=a&tag=b&as-of=2024-03-01&cursor=c1&limit=2")
    assert response.status_code == 200, response.text
    assert response.json() == {"cursor": "c1", "limit": 2, "tag": ["a", "b"], "as_of": "2024-03-01"}
    assert (await client.get("/v1/widgets")).status_code == 200
    assert (await client.get("/v1/widgets?")).status_code == 200  # an empty query string names nothing


@ASYNC
async def test_an_alias_is_the_only_name_of_its_parameter(client: httpx.AsyncClient) -> None:
    problem = refused(await client.get("/v1/widgets", params={"as_of": "2024-03-01"}))
    assert problem["errors"][0]["field"] == "as_of"


@ASYNC
async def test_an_operation_without_query_parameters_refuses_any(client: httpx.AsyncClient) -> None:
    problem = refused(await client.get("/v1/widgets/w-1", params={"expand": "all"}))
    assert problem["accepted"] == []
    assert "takes no query parameters" in problem["detail"]
    assert (await client.get("/v1/widgets/w-1")).status_code == 200


@ASYNC
async def test_an_unknown_parameter_is_refused_before_the_others_are_validated(client: httpx.AsyncClient) -> None:
    refused(await client.get("/v1/widgets", params={"limit": "999", "page": "2"}))
    assert (await client.get("/v1/widgets", params={"limit": "999"})).status_code == 422


@ASYNC
async def test_a_write_with_an_unknown_parameter_is_refused(client: httpx.AsyncClient) -> None:
    refused(await client.post("/v1/widgets", params={"dryrun": "true"}, json={"name": "w"}))
    created = await client.post("/v1/widgets", params={"dry_run": "true"}, json={"name": "w"})
    assert created.status_code == 201
    assert created.json() == {"name": "w", "dry_run": True}


@ASYNC
async def test_a_query_models_fields_are_declared(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/filtered", params={"status": "open", "from": "2024-01-01"})
    assert response.status_code == 200, response.text
    assert response.json() == {"status": "open", "from": "2024-01-01"}
    problem = refused(await client.get("/v1/filtered", params={"state": "open"}))
    assert problem["accepted"] == ["from", "status"]


@ASYNC
async def test_a_query_model_that_allows_extra_fields_takes_any_parameter(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/anything", params={"utm_source": "mail", "x": "1"})
    assert response.status_code == 200, response.text


@ASYNC
async def test_a_router_dependencys_parameters_are_declared(client: httpx.AsyncClient) -> None:
    assert (await client.get("/v1/scoped", params={"tenant_id": "t-1"})).status_code == 200
    assert refused(await client.get("/v1/scoped", params={"tenant": "t-1"}))["accepted"] == ["tenant_id"]


@ASYNC
async def test_health_refuses_unknown_parameters_and_answers_without(client: httpx.AsyncClient) -> None:
    refused(await client.get("/healthz", params={"verbose": "1"}))
    assert (await client.get("/healthz")).status_code == 200


@ASYNC
async def test_fastapis_own_documentation_routes_are_not_operations(client: httpx.AsyncClient) -> None:
    assert (await client.get("/openapi.json", params={"v": "2"})).status_code == 200
    assert (await client.get("/docs", params={"v": "2"})).status_code == 200


@ASYNC
async def test_a_long_or_hostile_name_is_quoted_back_cut_short(client: httpx.AsyncClient) -> None:
    names = {f"p{index}": "1" for index in range(30)} | {"x" * 500: "1"}
    problem = refused(await client.get("/v1/widgets/w-1", params=names))
    assert len(problem["errors"]) == 20
    assert "and 11 more" in problem["detail"]
    assert all(len(error["field"]) <= 100 for error in problem["errors"])


def test_every_operation_documents_the_400() -> None:
    app = build_app()
    document = copy.deepcopy(app.openapi())
    operations = [op for item in document["paths"].values() for op in item.values() if isinstance(op, dict)]
    assert len(operations) == 9
    for operation in operations:
        assert UNKNOWN_QUERY_PARAMETER.lower() in operation["responses"]["400"]["description"].lower()
        assert PROBLEM_JSON in operation["responses"]["400"]["content"]
    body_refused = document["paths"]["/v1/widgets"]["post"]["responses"]["400"]["description"]
    assert body_refused.startswith("The body is not UTF-8 JSON")  # the body's reason stays, the query's is added
    assert app.openapi() == document  # documenting the cached document again changes nothing


def test_what_each_operation_declares() -> None:
    app = build_app()
    table = declared_by_operation(app.routes)
    declared = {
        (path, method): table[id(route.original_route)]
        for route in iter_route_contexts(app.routes)
        if isinstance(route.original_route, APIRoute)
        for path in [route.path]
        for method in route.methods or ()
    }
    assert declared[("/v1/widgets", "GET")] == {"as-of", "cursor", "limit", "tag"}
    assert declared[("/v1/widgets", "POST")] == {"dry_run"}
    assert declared[("/v1/scoped", "GET")] == {"tenant_id"}
    assert declared[("/healthz", "GET")] == frozenset()
    assert declared[("/v1/anything", "GET")] is None  # any parameter
