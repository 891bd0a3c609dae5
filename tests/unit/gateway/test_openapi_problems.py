"""The merged OpenAPI document says what the suite answers: every error is one `Problem` as problem+json, the
gateway's own answers are on every proxied operation, and non-JSON answers carry their real media type."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import jsonschema
import pytest

from billing.main import create_app as billing_app
from bss.api.error_responses import PROBLEM_REF, problem_schemas
from bss.identity import Role
from bss.problems import PROBLEM_JSON, NotFound, ValidationProblem, field_error
from catalog.main import create_app as catalog_app
from gateway.main import create_app as gateway_app
from gateway.policy import allowed
from gateway.problems import send_problem
from gateway.settings import GatewaySettings
from subscriptions.main import create_app as subscriptions_app
from support_sla.main import create_app as support_app

API = "/api/v1/"


@pytest.fixture(scope="module")
def document(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The gateway's /openapi.json over the four services' own documents (no process started)."""
    database = tmp_path_factory.mktemp("gateway") / "gateway.db"
    gateway = gateway_app(GatewaySettings(database_url=f"sqlite+aiosqlite:///{database}"))
    services = {
        "catalog": catalog_app(),
        "subscriptions": subscriptions_app(),
        "billing": billing_app(),
        "support": support_app(),
    }
    return gateway.merge_openapi({name: app.openapi() for name, app in services.items()})


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if isinstance(operation, dict)
    ]


def test_every_error_response_is_one_problem_schema_as_problem_json(document: dict[str, Any]) -> None:
    wrong = []
    for path, method, operation in operations(document):
        for status, response in operation["responses"].items():
            if status[0] not in "45":
                continue
            content = response.get("content", {})
            if set(content) != {PROBLEM_JSON} or content[PROBLEM_JSON].get("schema") != {"$ref": PROBLEM_REF}:
                wrong.append(f"{method.upper()} {path} {status}: {content}")
    assert wrong == []
    assert len(operations(document)) > 80


def test_no_operation_carries_fastapis_validation_error(document: dict[str, Any]) -> None:
    text = json.dumps(document)
    assert "HTTPValidationError" not in text
    assert "ValidationError" not in document["components"]["schemas"]
    assert [name for name in document["components"]["schemas"] if name.endswith("Problem")] == ["Problem"]


def test_every_proxied_operation_documents_what_the_gateway_answers(document: dict[str, Any]) -> None:
    for path, method, operation in operations(document):
        if not path.startswith(API):
            continue
        responses = operation["responses"]
        assert {"401", "429", "503", "504"} <= set(responses), f"{method} {path}"
        assert responses["429"]["headers"]["Retry-After"]["required"] is True
        if "{" in path:  # a parameter of "..", "" or an encoded slash
            assert "400" in responses, f"{method} {path}"
        if "requestBody" in operation:
            assert "413" in responses, f"{method} {path}"


def test_every_protected_operation_documents_401_and_403_where_a_role_is_refused(document: dict[str, Any]) -> None:
    public = []
    for path, method, operation in operations(document):
        responses = operation["responses"]
        if operation.get("security", document["security"]) == []:
            public.append(path)
            continue
        assert "401" in responses, f"{method} {path}"
        if path.startswith(API):
            service, _, tail = path[len(API) :].partition("/")
            if not all(allowed(role, service, method.upper(), tail) for role in Role):  # the gateway's policy
                assert "403" in responses, f"{method} {path}"
    assert sorted(public) == ["/healthz", "/metrics", "/readyz"]
    keys = document["paths"]["/gateway/v1/keys"]
    assert "403" in keys["post"]["responses"]  # admins only
    assert "403" in keys["get"]["responses"]


def test_answers_of_the_shared_dependencies_are_documented(document: dict[str, Any]) -> None:
    paths = document["paths"]
    month_close = paths[f"{API}billing/month-closes"]["post"]["responses"]
    assert {"400", "403", "422"} <= set(month_close)  # admins only; a JSON body
    assert "409" in paths[f"{API}catalog/products"]["post"]["responses"]  # Idempotency-Key
    # An unconstrained string in the path cannot fail validation: no 422 there.
    assert "422" not in paths[f"{API}billing/invoices/{{invoice_id}}"]["get"]["responses"]
    assert "422" in paths[f"{API}subscriptions/subscriptions/{{subscription_id}}"]["get"]["responses"]  # max_length
    assert "403" not in paths["/gateway/v1/me"]["get"]["responses"]  # any caller


def test_non_json_answers_carry_their_media_type(document: dict[str, Any]) -> None:
    def media(path: str) -> set[str]:
        return set(document["paths"][path]["get"]["responses"]["200"]["content"])

    assert media(f"{API}billing/invoices/{{invoice_id}}.csv") == {"text/csv"}
    assert media(f"{API}billing/invoices/{{invoice_id}}.pdf") == {"application/pdf"}
    assert media(f"{API}support/reports/{{report}}") == {"application/json", "text/csv"}
    assert media("/metrics") == {"text/plain"}


def problem_validator() -> jsonschema.Draft202012Validator:
    schemas = problem_schemas()
    root = {**schemas["Problem"], "$defs": schemas}
    text = json.dumps(root).replace("#/components/schemas/", "#/$defs/")
    return jsonschema.Draft202012Validator(json.loads(text))


def test_the_problem_schema_describes_what_services_and_gateway_write() -> None:
    validator = problem_validator()
    invalid = ValidationProblem("Fix these fields: to", errors=[{**field_error("to", "before from"), "rule": "x"}])
    bodies = [
        {**NotFound("No invoice 42.").body("/v1/invoices/42"), "request_id": "abc"},
        invalid.body(),
        {**invalid.body(), "errors": [{"field": "limit", "message": "too big", "in": None}]},
    ]
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(send_problem(send, 503, "service-unavailable", "Service unavailable", "down", service="billing"))
    bodies.append(json.loads(sent[-1]["body"]))
    for body in bodies:
        validator.validate(body)
    assert not validator.is_valid({"title": "no type, status or detail"})
