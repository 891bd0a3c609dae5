"""The error responses of an OpenAPI document: one RFC 9457 `Problem` schema, on every error an operation answers.

Routes document what their use cases raise (`responses={404: {"description": ...}}`). What the shared
dependencies answer is added here from each route's dependency tree, so no route can forget it:

- 400 where FastAPI reads a JSON body (a body it cannot decode), and where the app refuses query parameters an
  operation does not declare (`bss.api.query_parameters`): every operation of the suite's apps. A route that
  documents its own 400 gets that reason added to its description;
- 401 where the route needs the caller (`get_caller`), 403 where it lets only some roles through
  (`require_roles`);
- 409 where it takes an `Idempotency-Key` (the same key again with another body);
- 422 where its body or parameters can fail validation (not for an unconstrained string in the path). FastAPI
  documents that answer as `application/json` `HTTPValidationError` on every operation with parameters, but the
  problem handlers answer problem+json: that default is dropped and replaced.

Then every 4xx and 5xx response that documents no other media type is documented as `application/problem+json`
with the `Problem` schema (an example a route gives is kept).
"""

from __future__ import annotations

import types
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Union, get_args, get_origin

from fastapi import FastAPI, params, routing
from fastapi._compat import ModelField
from fastapi.dependencies.models import Dependant
from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema
from starlette.routing import BaseRoute

from bss.api.caller import get_caller, require_roles
from bss.api.query_parameters import UNKNOWN_QUERY_PARAMETER, refuse_unknown_query_parameters
from bss.identity import Role
from bss.problems import PROBLEM_JSON

SCHEMA_REF = "#/components/schemas/{model}"
PROBLEM_REF = SCHEMA_REF.format(model="Problem")
IDEMPOTENCY_HEADER = "idempotency-key"
# Every check `require_roles` makes is a closure over this one code object.
_ROLE_CHECK = require_roles(Role.ADMIN).__code__
_FASTAPI_VALIDATION_SCHEMAS = ("HTTPValidationError", "ValidationError")

DEPENDENCY_ANSWERS: dict[int, str] = {
    400: "The body cannot be parsed (FastAPI answers this for a JSON body that is not UTF-8)",
    401: "No verified caller identity (the gateway vouches for every caller)",
    403: "The caller's role may not call this operation",
    409: "The Idempotency-Key was used before with another body",
    422: "Invalid body or parameters; `errors` names the fields",
}


def _no_null_defaults(schema: dict[str, Any]) -> None:
    """Optional members are left out when they have no value; they are never null (unless their type says so)."""
    for member in schema.get("properties", {}).values():
        if member.get("default", ...) is None:
            del member["default"]


class ProblemFieldError(BaseModel):
    """One offending field of a problem (`bss.problems.field_error`, `validation_errors`)."""

    model_config = ConfigDict(extra="allow", populate_by_name=True, json_schema_extra=_no_null_defaults)

    field: str = Field(description="The field, dotted from the body or parameter root (`lines.0.amount`)")
    message: str = Field(description="What is wrong with it")
    in_: str | None = Field(default=None, alias="in", description="Where the field is: body, query, path or header")
    rule: str | SkipJsonSchema[None] = Field(default=None, description="The business rule the value breaks")


def _problem_schema_extra(schema: dict[str, Any]) -> None:
    _no_null_defaults(schema)
    schema["description"] = "RFC 9457 problem details; members beyond these may carry more context."
    schema["example"] = {
        "type": "https://bss.example/problems/validation-error",
        "title": "The request is not valid",
        "status": 422,
        "detail": "Fix these fields: limit",
        "instance": "/api/v1/billing/invoices",
        "errors": [{"field": "limit", "message": "Input should be less than or equal to 200", "in": "query"}],
        "request_id": "0f8e6c1b2a3d4e5f60718293a4b5c6d7",
    }


class ProblemDetails(BaseModel):
    """An RFC 9457 problem, as `bss.problems.Problem.body()` and the gateway write it."""

    model_config = ConfigDict(
        title="Problem",
        extra="allow",
        json_schema_extra=_problem_schema_extra,
    )

    type: str = Field(description="A URI naming the kind of problem")
    title: str = Field(description="A short summary of the kind of problem")
    status: int = Field(ge=400, le=599, description="The HTTP status")
    detail: str = Field(description="What went wrong this time, for a person")
    instance: str | SkipJsonSchema[None] = Field(
        default=None, description="The path the client called (through the gateway: /api/v1/<service>/...)"
    )
    errors: list[ProblemFieldError] | SkipJsonSchema[None] = Field(
        default=None, description="The offending fields, when the problem is about the input"
    )
    request_id: str | SkipJsonSchema[None] = Field(default=None, description="Quote it when asking for help")


def problem_schemas() -> dict[str, Any]:
    """The `Problem` schema and the schemas it refers to, as OpenAPI components."""
    schema = ProblemDetails.model_json_schema(ref_template=SCHEMA_REF)
    nested = schema.pop("$defs", {})
    return {"Problem": schema, **nested}


def problem_response(description: str) -> dict[str, Any]:
    """A documented error response: `description`, as problem+json."""
    return {"description": description, "content": {PROBLEM_JSON: {"schema": {"$ref": PROBLEM_REF}}}}


def document_problems(app: FastAPI) -> None:
    """Make `app.openapi()` document every error as problem+json (see the module docstring)."""
    generate: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        document = generate()  # FastAPI's cached document: documenting it again changes nothing
        add_error_responses(document, app.routes)
        return document

    app.openapi = openapi  # type: ignore[method-assign]


def add_error_responses(document: dict[str, Any], routes: Sequence[BaseRoute]) -> None:
    """Document, in place, what each route's dependencies answer and every error as a `Problem`."""
    paths: dict[str, Any] = document.get("paths", {})
    for route in routing.iter_route_contexts(routes):
        if not isinstance(route.original_route, routing.APIRoute) or not route.include_in_schema:
            continue
        item = paths.get(route.path_format or "", {})
        for method in route.methods or ():
            operation = item.get(method.lower())
            if operation is None:
                continue
            responses: dict[str, Any] = operation.setdefault("responses", {})
            if _is_fastapi_validation_error(responses.get("422")):
                del responses["422"]
            for status in _dependency_answers(route.dependant, has_body=route.body_field is not None):
                responses.setdefault(str(status), {"description": DEPENDENCY_ANSWERS[status]})
            if _refuses_unknown_query_parameters(route.dependant):
                add_reason(responses, "400", UNKNOWN_QUERY_PARAMETER)
    for item in paths.values():
        for operation in item.values():
            if isinstance(operation, dict) and "responses" in operation:
                operation["responses"] = _with_problems(operation["responses"])
    schemas: dict[str, Any] = document.setdefault("components", {}).setdefault("schemas", {})
    for name in _FASTAPI_VALIDATION_SCHEMAS:
        schemas.pop(name, None)
    schemas.update(problem_schemas())


def _with_problems(responses: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for status, response in sorted(responses.items()):
        content = response.get("content") or {}
        if status[:1] in ("4", "5") and set(content) <= {PROBLEM_JSON}:
            media = {key: value for key, value in content.get(PROBLEM_JSON, {}).items() if key != "schema"}
            response = {**response, "content": {PROBLEM_JSON: {"schema": {"$ref": PROBLEM_REF}, **media}}}
        out[status] = response
    return out


def _is_fastapi_validation_error(response: dict[str, Any] | None) -> bool:
    schema = ((response or {}).get("content") or {}).get("application/json", {}).get("schema", {})
    return bool(schema.get("$ref", "").endswith("/HTTPValidationError"))


def _dependency_answers(dependant: Dependant, *, has_body: bool) -> list[int]:
    answers: set[int] = {400, 422} if has_body else set()
    for node in _walk(dependant):
        if node.call is get_caller:
            answers.add(401)
        if getattr(node.call, "__code__", None) is _ROLE_CHECK:
            answers.add(403)
        if any(field.alias.lower() == IDEMPOTENCY_HEADER for field in node.header_params):
            answers.add(409)
        parameters = [*node.path_params, *node.query_params, *node.header_params, *node.cookie_params]
        if node.body_params or any(_can_fail(field) for field in parameters):
            answers.add(422)
    return sorted(answers)


def _refuses_unknown_query_parameters(dependant: Dependant) -> bool:
    return any(node.call is refuse_unknown_query_parameters for node in _walk(dependant))


def add_reason(responses: dict[str, Any], status: str, reason: str) -> None:
    """Document `reason` as a cause of the `status` answer, beside those already documented (idempotent: FastAPI
    caches the document, and a response may be a dict a route shares, so it is replaced, not changed)."""
    response = responses.get(status)
    if response is None:
        responses[status] = {"description": reason}
        return
    described = response.get("description") or ""
    if reason.lower() not in described.lower():
        also = f"{reason[0].lower()}{reason[1:]}"
        responses[status] = {**response, "description": f"{described}; or {also}" if described else reason}


def _walk(dependant: Dependant) -> Iterator[Dependant]:
    yield dependant
    for child in dependant.dependencies:
        yield from _walk(child)


def _can_fail(field: ModelField) -> bool:
    """Whether a parameter can fail validation: a required one can be missing (a path parameter never is),
    and anything but an unconstrained string can be malformed."""
    info = field.field_info
    if info.is_required() and not isinstance(info, params.Path):
        return True
    if info.metadata:
        return True
    annotation = info.annotation
    options = get_args(annotation) if get_origin(annotation) in (Union, types.UnionType) else (annotation,)
    return not set(options) <= {str, type(None)}
