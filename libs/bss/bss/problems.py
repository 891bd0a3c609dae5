"""RFC 9457 problem+json: the one error shape of every service.

Domain code raises typed exceptions (subclasses of `Problem`); one handler per app maps them to
`application/problem+json`. Validation errors name the offending fields; unexpected errors answer a
generic 500 with the request id, never a stack trace.
"""

from __future__ import annotations

from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "https://bss.example/problems/"

log = structlog.get_logger("bss.problems")


class Problem(Exception):
    """An error the caller can act on. Subclasses set `type_`, `title` and `status`."""

    type_: str = "about:blank"
    title: str = "Error"
    status: int = 400

    def __init__(
        self,
        detail: str,
        *,
        errors: list[dict[str, Any]] | None = None,
        status: int | None = None,
        title: str | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or []
        self.extra = extra
        if status is not None:
            self.status = status
        if title is not None:
            self.title = title

    def body(self, instance: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": self.type_ if ":" in self.type_ else TYPE_BASE + self.type_,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }
        if instance:
            body["instance"] = instance
        if self.errors:
            body["errors"] = self.errors
        body.update(self.extra)
        return body


class ValidationProblem(Problem):
    type_ = "validation-error"
    title = "The request is not valid"
    status = 422


class NotFound(Problem):
    type_ = "not-found"
    title = "Not found"
    status = 404


class Conflict(Problem):
    type_ = "conflict"
    title = "Conflict with the current state"
    status = 409


class Forbidden(Problem):
    type_ = "forbidden"
    title = "Not allowed"
    status = 403


class Unauthorized(Problem):
    type_ = "unauthorized"
    title = "Authentication required"
    status = 401


class ServiceUnavailable(Problem):
    """A service this answer depends on does not answer now; retrying later may succeed."""

    type_ = "service-unavailable"
    title = "A service is unavailable"
    status = 503


def field_error(field: str, message: str) -> dict[str, Any]:
    return {"field": field, "message": message}


def problem_response(
    problem: Problem, request: Request | None = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    body = problem.body(_instance(request) if request is not None else None)
    request_id = _request_id(request)
    if request_id:
        body["request_id"] = request_id
    return JSONResponse(body, status_code=problem.status, media_type=PROBLEM_JSON, headers=headers)


PUBLIC_PREFIX_STATE = "public_path_prefix"
"""The app.state attribute naming the path prefix clients reach the service under (the gateway's
`/api/v1/<service>`); a problem's `instance` is the request's path as the client sent it."""


def _instance(request: Request) -> str:
    """The request's path as its client sees it: a service's `/v1/...` under the gateway's prefix."""
    path = str(request.url.path)
    prefix: str | None = getattr(request.app.state, PUBLIC_PREFIX_STATE, None)
    if prefix and path.startswith("/v1/"):
        return prefix + path[len("/v1") :]
    return path


def _request_id(request: Request | None) -> str | None:
    if request is None:
        return None
    value = structlog.contextvars.get_contextvars().get("request_id")
    return str(value) if value else None


def _location(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(part) for part in loc if part not in ("body", "query", "path", "header")]
    return ".".join(parts) or ".".join(str(part) for part in loc)


def validation_errors(errors: list[Any]) -> list[dict[str, Any]]:
    """Pydantic's errors as `{field, message, in}` items a person can act on."""
    out: list[dict[str, Any]] = []
    for error in errors:
        loc = error.get("loc", ())
        out.append({"field": _location(loc), "message": error.get("msg", "invalid"), "in": loc[0] if loc else None})
    return out


def install_problem_handlers(app: FastAPI, *, public_prefix: str | None = None) -> None:
    """Every error as problem+json; `public_prefix` (the gateway's `/api/v1/<service>`) makes `instance` the path
    the client called."""
    setattr(app.state, PUBLIC_PREFIX_STATE, public_prefix)

    async def on_problem(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, Problem)
        return problem_response(exc, request)

    async def on_validation(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        errors = validation_errors(list(exc.errors()))
        fields = ", ".join(sorted({e["field"] for e in errors}))
        return problem_response(ValidationProblem(f"Fix these fields: {fields}", errors=errors), request)

    async def on_http(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        problem = Problem(str(exc.detail), status=exc.status_code, title=_STATUS_TITLES.get(exc.status_code, "Error"))
        return problem_response(problem, request, headers=dict(exc.headers or {}))

    async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", path=request.url.path)
        return problem_response(InternalError("An unexpected error occurred; quote the request id."), request)

    app.add_exception_handler(Problem, on_problem)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(Exception, on_unexpected)


class InternalError(Problem):
    type_ = "internal-error"
    title = "Internal error"
    status = 500


_STATUS_TITLES = {
    400: "Bad request",
    401: "Authentication required",
    403: "Not allowed",
    404: "Not found",
    405: "Method not allowed",
    406: "Not acceptable",
    409: "Conflict",
    413: "Request body too large",
    415: "Unsupported media type",
    429: "Too many requests",
    503: "Service unavailable",
}

PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    422: {"description": "Validation error (problem+json naming the fields)", "content": {PROBLEM_JSON: {}}},
}
