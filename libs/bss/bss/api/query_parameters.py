"""Query parameters an operation does not declare are refused (400 problem+json), never silently ignored.

FastAPI answers `GET /v1/invoices?pag=2` as if `pag` were not there, so a caller who misspells a parameter, or
sends one a route does not take (`as_of` where there is none), gets an answer to another question and never
learns it. `refuse_unknown_query_parameters` is an app-level dependency of every app the suite builds
(`bss.service_app.create_service_app` and the gateway's own app): it runs before the route's other
dependencies and answers 400 naming the parameters the operation does not declare and listing those it does.

What an operation declares is read from its dependency tree (`dependant`, sub-dependencies included, and the
dependencies a router was included with): each query parameter's name and aliases, and the fields of a
Pydantic model taken as query parameters (`Annotated[Model, Query()]`). Repeating a declared parameter (a list)
is fine. An operation that legitimately takes any parameter says so by taking a query model that allows extra
fields (`extra="allow"`): nothing is refused there. Only FastAPI operations are checked: mounted static files
(`?v=` cache busting) and FastAPI's own `/docs`, `/docs/oauth2-redirect` and `/openapi.json` of a service are
Starlette routes and keep ignoring what they do not read.
"""

from __future__ import annotations

import types
from collections.abc import Iterable, Iterator
from typing import Any, Union, get_args, get_origin

from fastapi import Request, routing
from fastapi._compat import ModelField
from fastapi.dependencies.models import Dependant
from pydantic import AliasChoices, BaseModel
from pydantic.fields import FieldInfo

from bss.problems import Problem

UNKNOWN_QUERY_PARAMETER = (
    "A query parameter the operation does not declare (`errors` names it, `accepted` lists those it does)"
)
"""The 400 answer of `refuse_unknown_query_parameters`, as an OpenAPI response description."""
_SHOWN = 20  # unknown names listed at most
_NAME_SHOWN = 100  # characters of an unknown name quoted back
_TABLE = "bss_declared_query_parameters"  # the app.state attribute holding the table of an app's operations

Declared = frozenset[str] | None
"""The query parameter names an operation reads; None when it takes any."""


class UnknownQueryParameter(Problem):
    """A request with query parameters its operation does not read."""

    type_ = "unknown-query-parameter"
    title = "Unknown query parameter"
    status = 400

    def __init__(self, unknown: list[str], accepted: frozenset[str]) -> None:
        shown = [_quoted(name) for name in unknown[:_SHOWN]]
        more = f" and {len(unknown) - _SHOWN} more" if len(unknown) > _SHOWN else ""
        names = f"parameter {shown[0]}" if len(unknown) == 1 else f"parameters {', '.join(shown)}{more}"
        takes = f"it takes {', '.join(sorted(accepted))}" if accepted else "it takes no query parameters"
        super().__init__(
            f"This operation does not take the query {names}: {takes}.",
            errors=[
                {"field": name[:_NAME_SHOWN], "message": "not a query parameter of this operation", "in": "query"}
                for name in unknown[:_SHOWN]
            ],
            accepted=sorted(accepted),
        )


def _quoted(name: str) -> str:
    return repr(name if len(name) <= _NAME_SHOWN else f"{name[:_NAME_SHOWN]}...")


async def refuse_unknown_query_parameters(request: Request) -> None:
    """Refuse a request whose query string names a parameter its operation does not declare (400)."""
    if not request.scope.get("query_string"):
        return
    declared = _declared_by(request)
    if declared is None:
        return
    unknown = [name for name in request.query_params if name not in declared]
    if unknown:
        raise UnknownQueryParameter(unknown, declared)


def _declared_by(request: Request) -> Declared:
    """What the request's operation declares, from a table of the app's operations built at its first request
    with a query string (and again for a route added since)."""
    route = request.scope.get("route")
    if not isinstance(route, routing.APIRoute):
        return None
    state = request.app.state
    table: dict[int, Declared] | None = getattr(state, _TABLE, None)
    if table is None or id(route) not in table:
        table = declared_by_operation(request.app.routes)
        table.setdefault(id(route), declared_query_parameters(route.dependant))
        setattr(state, _TABLE, table)
    return table[id(route)]


def declared_by_operation(routes: Iterable[Any]) -> dict[int, Declared]:
    """Each operation's declared query parameters, by the id of its route (`scope["route"]` at request time).

    A route included more than once (under two prefixes, with different router dependencies) takes the
    parameters of all its inclusions: one of them reads the parameter, so it is not unknown."""
    table: dict[int, Declared] = {}
    for context in routing.iter_route_contexts(list(routes)):
        route = context.original_route
        dependant = getattr(context, "dependant", None)
        if not isinstance(route, routing.APIRoute) or not isinstance(dependant, Dependant):
            continue
        declared = declared_query_parameters(dependant)
        known = table.get(id(route), frozenset())
        table[id(route)] = None if declared is None or known is None else known | declared
    return table


def declared_query_parameters(dependant: Dependant) -> Declared:
    """The query parameter names `dependant` and its sub-dependencies read; None when one of them takes any."""
    names: set[str] = set()
    for node in _walk(dependant):
        for field in node.query_params:
            model = _query_model(field)
            if model is None:
                names.update(_names_of(field.name, field.field_info, {}))
                continue
            if model.model_config.get("extra") == "allow":
                return None
            for name, info in model.model_fields.items():
                names.update(_names_of(name, info, model.model_config))
    return frozenset(names)


def _walk(dependant: Dependant) -> Iterator[Dependant]:
    yield dependant
    for child in dependant.dependencies:
        yield from _walk(child)


def _query_model(field: ModelField) -> type[BaseModel] | None:
    """The Pydantic model a query parameter stands for (`Annotated[Model | None, Query()]`), if it is one."""
    annotation = field.field_info.annotation
    options = get_args(annotation) if get_origin(annotation) in (Union, types.UnionType) else (annotation,)
    models = [option for option in options if isinstance(option, type) and issubclass(option, BaseModel)]
    return models[0] if len(models) == 1 else None


def _names_of(name: str, info: FieldInfo, config: Any) -> set[str]:
    """The keys a field is read from: its alias (else its name), its validation aliases, and its name where the
    model also validates by name."""
    names = {info.alias or name}
    if isinstance(info.validation_alias, str):
        names.add(info.validation_alias)
    elif isinstance(info.validation_alias, AliasChoices):
        names.update(choice for choice in info.validation_alias.choices if isinstance(choice, str))
    if config.get("validate_by_name") or config.get("populate_by_name"):
        names.add(name)
    return names
