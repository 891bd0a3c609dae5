"""JSON request bodies: the one parser every service reads them with, and the limits it keeps.

FastAPI reads a JSON body with `json.loads`, which answers hostile input badly: nesting 1,000 deep raises
RecursionError, invalid UTF-8 a UnicodeDecodeError, a 5,000-digit integer Python's 4,300-digit ValueError (all
a vague 400 or a 500), and a lone surrogate escape (`"\\ud800"`) parses, to fail later where the text is encoded.
`parse_json_body` refuses each up front with a 400 problem saying what is wrong, and where when it is cheap:

- strict UTF-8 (no other encoding, no encoded surrogates such as `ED A0 80`);
- at most `MAX_DEPTH` arrays and objects nested;
- number literals of at most `MAX_NUMBER_LENGTH` characters, so `int()` never meets its digit limit;
- strings and keys of at most `MAX_STRING_LENGTH` characters, without lone surrogates;
- `NaN` and `Infinity` are not JSON: refused, unless the caller reads them itself (billing's usage intake keeps
  them as text, so its quantity check refuses those events alone).

`JsonBodyRoute` makes FastAPI read bodies with it. Every router whose routes take a JSON body declares it
(`route_class=JsonBodyRoute`); `create_service_app` refuses a router that does not, so no route is left behind.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Coroutine, Iterable
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.routing import APIRoute
from starlette.types import Receive, Scope

from bss.problems import PROBLEM_JSON, Problem, field_error

MAX_DEPTH = 64
"""Arrays and objects nested at most this deep; the suite's own requests nest 3 or 4 deep."""
MAX_NUMBER_LENGTH = 64
"""Characters of a number literal: enough for any exact quantity or amount, far below `int()`'s 4,300 digits."""
MAX_STRING_LENGTH = 100_000
"""Characters of a string or key; the longest field a schema accepts is 20,000 (a ticket description)."""
_TOO_DEEP = f"The JSON body nests arrays and objects more than {MAX_DEPTH} deep."
_BOM = "\ufeff"
_SURROGATE = re.compile("[\ud800-\udfff]")
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")  # a string may hold a surrogate only if the text has one
_SHOWN = 20  # characters of a refused literal quoted back


JSON_BODY_REFUSED: dict[str, Any] = {
    "description": "The body is not UTF-8 JSON within the limits (nesting, number and string lengths)",
    "content": {PROBLEM_JSON: {}},
}
"""The 400 answer of a route that reads a JSON body, as its OpenAPI `responses` entry."""


class InvalidJsonBody(Problem):
    """A request body that is not JSON the suite reads: not UTF-8, not JSON, or beyond a limit."""

    type_ = "invalid-json"
    title = "The body is not acceptable JSON"
    status = 400

    def __init__(self, detail: str, where: str = "body") -> None:
        super().__init__(detail, errors=[field_error(where, detail)])


def parse_json_body(
    body: bytes,
    *,
    parse_float: Callable[[str], object] = float,
    parse_constant: Callable[[str], object] | None = None,
) -> Any:
    """The JSON document `body` holds, or `InvalidJsonBody` saying why it is refused.

    `parse_float` reads a non-integer number literal (e.g. `Decimal`, to keep it exact); `parse_constant`, when
    given, reads `NaN`, `Infinity` and `-Infinity`, which are otherwise refused.
    """
    text = _utf8(body)
    if text.startswith(_BOM):
        raise InvalidJsonBody("The body starts with a byte order mark: JSON text is UTF-8 without one.")
    try:
        document = json.loads(
            text,
            parse_int=_integer,
            parse_float=_number_reader(parse_float),
            parse_constant=parse_constant or _refuse_constant,
        )
    except RecursionError:  # the C scanner recurses per level and stops at the interpreter's limit (~1,000)
        raise InvalidJsonBody(_TOO_DEEP) from None
    except json.JSONDecodeError as exc:
        raise InvalidJsonBody(f"The body is not JSON: {exc.msg} (line {exc.lineno}, column {exc.colno}).") from None
    _check_values(document, text)
    return document


def require_utf8(body: bytes) -> None:
    """Refuse a body that is not strict UTF-8 (0.1 ms a megabyte): for readers that decode JSON themselves and
    skip what they do not read without looking at its bytes (msgspec skips unknown fields so)."""
    _utf8(body)


def _utf8(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        byte = body[exc.start : exc.start + 1].hex().upper()
        detail = f"The body is not UTF-8: byte 0x{byte} at offset {exc.start} ({exc.reason})."
        raise InvalidJsonBody(detail) from None


def _integer(literal: str) -> int:
    _check_length(literal)
    return int(literal)


def _number_reader(parse_float: Callable[[str], object]) -> Callable[[str], object]:
    def read(literal: str) -> object:
        _check_length(literal)
        value = parse_float(literal)
        if isinstance(value, float) and not math.isfinite(value):  # e.g. 1e999: no float holds it
            raise InvalidJsonBody(f"The number {literal} is out of range.")
        return value

    return read


def _check_length(literal: str) -> None:
    if len(literal) > MAX_NUMBER_LENGTH:
        shown = f"{literal[:_SHOWN]}... ({len(literal)} characters)"
        raise InvalidJsonBody(f"The number {shown} is longer than {MAX_NUMBER_LENGTH} characters.")


def _refuse_constant(name: str) -> object:
    raise InvalidJsonBody(f"{name} is not JSON: numbers are finite (send a decimal string).")


def _check_values(document: object, text: str) -> None:
    """Depth, string and key lengths, and lone surrogates (looked for only if the text has a `\\udXXX` escape),
    level by level without recursion: about 20 ms for a 10,000-event usage batch."""
    surrogates = _SURROGATE_ESCAPE.search(text) is not None
    level: list[Any] = [document]  # the values inside `depth` arrays and objects
    for _depth in range(MAX_DEPTH):
        below: list[Any] = []
        for value in level:
            if type(value) is dict:
                _check_keys(document, value, surrogates)
                _check_items(document, value.values(), surrogates, below)
            elif type(value) is list:
                _check_items(document, value, surrogates, below)
            elif type(value) is str and _refused(value, surrogates):
                raise _refusal(document, value)
        if not below:
            return
        level = below
    raise InvalidJsonBody(_TOO_DEEP)  # no path: it would repeat itself 64 times


def _check_keys(document: object, container: dict[str, Any], surrogates: bool) -> None:
    if max(map(len, container), default=0) > MAX_STRING_LENGTH or (
        surrogates and any(_SURROGATE.search(key) for key in container)
    ):
        key = next(key for key in container if _refused(key, surrogates))
        raise _refusal(document, key, holder=container)


def _check_items(document: object, values: Iterable[Any], surrogates: bool, below: list[Any]) -> None:
    for value in values:  # the hot loop: one pass over every value, no call per value
        kind = type(value)
        if kind is str:
            if len(value) > MAX_STRING_LENGTH or (surrogates and _SURROGATE.search(value)):
                raise _refusal(document, value)
        elif kind is dict or kind is list:
            below.append(value)


def _refused(text: str, surrogates: bool) -> bool:
    return len(text) > MAX_STRING_LENGTH or (surrogates and _SURROGATE.search(text) is not None)


def _refusal(document: object, text: str, *, holder: dict[str, Any] | None = None) -> InvalidJsonBody:
    """What is wrong with a refused string (or key, in `holder`), and where it is."""
    what = "A key" if holder is not None else "A string"
    if len(text) > MAX_STRING_LENGTH:
        why = f"of {len(text)} characters is longer than {MAX_STRING_LENGTH}."
    else:
        why = "holds a lone UTF-16 surrogate escape (\\ud800-\\udfff without its pair): it is not Unicode text."
    where = _path_to(document, text if holder is None else holder)
    return InvalidJsonBody(f"{what} {why}", _path(where))


def _path_to(document: object, target: object) -> tuple[str | int, ...]:
    """Where `target` (that very object) is in `document`; looked for only when something there is refused."""
    stack: list[tuple[object, tuple[str | int, ...]]] = [(document, ())]
    while stack:
        value, path = stack.pop()
        if value is target:
            return path
        if isinstance(value, dict):
            stack.extend((item, (*path, key)) for key, item in value.items())
        elif isinstance(value, list):
            stack.extend((item, (*path, index)) for index, item in enumerate(value))
    return ()


def _path(path: tuple[str | int, ...]) -> str:
    """`body.events[3].sku`: where in the document, as a person reads it."""
    return "body" + "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in path)


def declares_json(content_type: str | None) -> bool:
    """Whether a Content-Type is one FastAPI reads as JSON: `application/json` or `application/*+json`."""
    if not content_type:
        return False
    media = content_type.partition(";")[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


class _ReadJsonRequest(Request):
    """A request whose body `parse_json_body` has read: FastAPI takes the bytes and the document from here."""

    def __init__(self, scope: Scope, receive: Receive, body: bytes, document: object) -> None:
        super().__init__(scope, receive)
        self._read_body = body
        self._document = document

    async def body(self) -> bytes:
        return self._read_body

    async def json(self) -> Any:
        return self._document


class JsonBodyRoute(APIRoute):
    """A route whose JSON body is read by `parse_json_body` instead of FastAPI's `json.loads`: a hostile body
    answers 400 problem+json before dependencies, validation or the endpoint run, so nothing is written."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **options: Any) -> None:
        super().__init__(path, endpoint, **options)
        if self.body_field is not None:
            self.responses = {400: JSON_BODY_REFUSED, **self.responses}

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()
        if self.body_field is None:
            return handle

        async def handle_json(request: Request) -> Response:
            if declares_json(request.headers.get("content-type")):
                body = await request.body()
                if body:  # an empty body stays FastAPI's to refuse (422: the body is required)
                    request = _ReadJsonRequest(request.scope, request.receive, body, parse_json_body(body))
            return await handle(request)

        return handle_json


def unchecked_json_routes(routers: Iterable[APIRouter]) -> list[str]:
    """The routes that take a JSON body but would read it with FastAPI's own parser (not a `JsonBodyRoute`)."""
    return [
        f"{','.join(sorted(route.methods or ()))} {route.path}"
        for router in routers
        for route in router.routes
        if isinstance(route, APIRoute) and route.body_field is not None and not isinstance(route, JsonBodyRoute)
    ]


def require_json_body_routes(routers: Iterable[APIRouter]) -> None:
    """Refuse to build an app with a route that reads JSON without the suite's limits."""
    unchecked = unchecked_json_routes(routers)
    if unchecked:
        raise TypeError(
            f"routes {', '.join(unchecked)} take a JSON body: declare their router with route_class=JsonBodyRoute "
            "(bss.api.json_body), so hostile bodies answer 400"
        )
