"""The one JSON body parser: strict UTF-8, bounded nesting, numbers and strings, no lone surrogates, no NaN."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from fastapi import APIRouter
from pydantic import BaseModel

from bss.api.json_body import (
    MAX_DEPTH,
    MAX_NUMBER_LENGTH,
    MAX_STRING_LENGTH,
    InvalidJsonBody,
    JsonBodyRoute,
    declares_json,
    parse_json_body,
    require_json_body_routes,
    require_utf8,
)
from tests.harness.hostile_json import HostileBody, each_hostile_body


def refusal(body: bytes, **options: Any) -> InvalidJsonBody:
    with pytest.raises(InvalidJsonBody) as refused:
        parse_json_body(body, **options)
    assert refused.value.status == 400
    return refused.value


@each_hostile_body
def test_every_hostile_body_is_refused_saying_what_is_wrong(hostile: HostileBody) -> None:
    assert hostile.detail in refusal(hostile.body).detail


def test_nesting_up_to_64_arrays_and_objects_is_read_and_65_is_refused() -> None:
    assert MAX_DEPTH == 64
    deepest = b'{"a":' * 63 + b"[]" + b"}" * 63
    assert parse_json_body(deepest) is not None
    assert "more than 64 deep" in refusal(b"[" * 65 + b"]" * 65).detail
    assert "more than 64 deep" in refusal(b'{"a":' * 64 + b"[1]" + b"}" * 64).detail


def test_a_number_literal_of_64_characters_is_read_and_65_is_refused_before_int_sees_it() -> None:
    assert MAX_NUMBER_LENGTH == 64
    assert parse_json_body(b"[" + b"9" * 64 + b"]") == [int("9" * 64)]
    assert "65 characters" in refusal(b"[" + b"9" * 65 + b"]").detail
    assert "is longer than 64" in refusal(b"[-0." + b"1" * 62 + b"]").detail  # the sign and point count


def test_a_float_that_no_float_holds_is_out_of_range_but_an_exact_decimal_reads_it() -> None:
    assert "1e999999999 is out of range" in refusal(b"[1e999999999]").detail
    assert parse_json_body(b"[1e999999999]", parse_float=Decimal) == [Decimal("1E+999999999")]


def test_non_integer_numbers_are_read_exactly_with_decimal() -> None:
    assert parse_json_body(b'{"q": 0.1, "n": 3}', parse_float=Decimal) == {"q": Decimal("0.1"), "n": 3}


def test_a_string_or_key_at_the_limit_is_read_and_one_character_more_is_refused_naming_where() -> None:
    at_limit = b'{"a": "' + b"x" * MAX_STRING_LENGTH + b'"}'
    assert len(parse_json_body(at_limit)["a"]) == MAX_STRING_LENGTH
    over = refusal(b'{"a": [1, "' + b"x" * (MAX_STRING_LENGTH + 1) + b'"]}')
    assert over.errors[0]["field"] == "body.a[1]"
    key = refusal(b'{"a": {"' + b"k" * (MAX_STRING_LENGTH + 1) + b'": 1}}')
    assert key.detail.startswith("A key")
    assert key.errors[0]["field"] == "body.a"


def test_a_lone_surrogate_escape_is_refused_with_its_path_but_a_pair_and_an_escaped_backslash_are_text() -> None:
    lone = refusal(b'{"events": [{"sku": "a"}, {"sku": "\\udc00b"}]}')
    assert "lone UTF-16 surrogate" in lone.detail
    assert lone.errors[0]["field"] == "body.events[1].sku"
    assert parse_json_body(b'["\\ud83d\\ude00"]') == ["\U0001f600"]
    assert parse_json_body(b'["\\\\ud800"]') == ["\\ud800"]  # a backslash, then the letters u d 8 0 0


def test_invalid_utf8_is_refused_naming_the_byte_and_its_offset() -> None:
    refused = refusal(b'{"name": "\xc3\x28"}')
    assert refused.detail.startswith("The body is not UTF-8: byte 0xC3 at offset 10")
    with pytest.raises(InvalidJsonBody):
        require_utf8(b"ok \xed\xa0\x80")  # an encoded surrogate is no UTF-8 either
    require_utf8("caf\u00e9 \U0001f600".encode())


def test_a_byte_order_mark_and_other_encodings_are_refused() -> None:
    assert "byte order mark" in refusal(b'\xef\xbb\xbf{"a": 1}').detail
    assert "not UTF-8" in refusal('{"a": 1}'.encode("utf-16")).detail


def test_nan_and_infinity_are_refused_unless_the_caller_reads_them() -> None:
    for constant in (b"NaN", b"Infinity", b"-Infinity"):
        assert "is not JSON" in refusal(b'{"q": ' + constant + b"}").detail
    kept = parse_json_body(b"[NaN, -Infinity]", parse_constant=lambda name: name)
    assert kept == ["NaN", "-Infinity"]


def test_not_json_is_refused_naming_line_and_column() -> None:
    assert refusal(b'{"a": 1,\n "b": }').detail == "The body is not JSON: Expecting value (line 2, column 7)."


@pytest.mark.parametrize(
    ("content_type", "json"),
    [
        ("application/json", True),
        ("Application/JSON; charset=utf-8", True),
        ("application/merge-patch+json", True),
        ("text/json", False),
        ("text/csv", False),
        (None, False),
    ],
)
def test_a_body_is_json_when_its_content_type_says_so_as_fastapi_reads_it(content_type: str | None, json: bool) -> None:
    assert declares_json(content_type) is json


class _Widget(BaseModel):
    name: str


def test_an_app_with_a_json_route_outside_json_body_route_is_refused_at_build() -> None:
    plain, checked = APIRouter(), APIRouter(route_class=JsonBodyRoute)

    @plain.post("/widgets")
    async def create(body: _Widget) -> None: ...

    @checked.post("/widgets")
    async def create_checked(body: _Widget) -> None: ...

    @plain.get("/widgets")
    async def read() -> None: ...

    with pytest.raises(TypeError, match="POST /widgets take a JSON body"):
        require_json_body_routes([plain, checked])
    require_json_body_routes([checked])


def test_a_json_body_route_documents_its_400() -> None:
    router = APIRouter(route_class=JsonBodyRoute)

    @router.post("/widgets")
    async def create(body: _Widget) -> None: ...

    @router.get("/widgets")
    async def read() -> None: ...

    post, get = router.routes
    assert isinstance(post, JsonBodyRoute)
    assert isinstance(get, JsonBodyRoute)
    assert 400 in post.responses
    assert 400 not in get.responses
