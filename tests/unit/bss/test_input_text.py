"""Input text refuses control characters: single-line text all of them, multi-line text all but tab, LF and CR."""

from __future__ import annotations

import re

import pytest
from pydantic import BaseModel, Field, ValidationError

from bss.api.input_text import (
    MULTI_LINE_PATTERN,
    SINGLE_LINE_PATTERN,
    Email,
    MultiLine,
    Name,
    SingleLine,
    Sku,
    Text,
    multi_line,
    single_line,
)


class _Input(BaseModel):
    subject: SingleLine = Field(default="s", max_length=200)
    body: MultiLine = "b"
    name: Name = "n"
    sku: Sku = "SKU-1"
    reason: Text = "r"
    email: Email = "ops@reseller.example"


def refused(**fields: str) -> tuple[str, str]:
    with pytest.raises(ValidationError) as error:
        _Input(**fields)  # type: ignore[arg-type]
    (only,) = error.value.errors()
    return ".".join(str(part) for part in only["loc"]), only["msg"]


CONTROLS = ["\x00", "\x01", "\x1b", "\x1f", "\x7f", "\x80", "\x85", "\x9f"]
"""C0 controls other than tab, LF and CR, DEL and C1 controls: refused by every kind of text."""


ONE_LINE_REFUSED = ["\x00", "\t", "\n", "\r", *CONTROLS]


@pytest.mark.parametrize("char", ONE_LINE_REFUSED, ids=repr)
@pytest.mark.parametrize("field", ["subject", "name", "sku"])
def test_single_line_text_refuses_every_control_character_tab_and_line_breaks_included(field: str, char: str) -> None:
    where, message = refused(**{field: f"ab{char}c"})
    assert where == field
    assert "single-line text must not contain" in message
    assert f"U+{ord(char):04X} at position 2" in message


@pytest.mark.parametrize("char", ONE_LINE_REFUSED, ids=repr)
def test_an_email_refuses_every_control_character(char: str) -> None:
    assert refused(email=f"ops{char}@reseller.example")[0] == "email"  # whitespace fails its pattern first


@pytest.mark.parametrize("char", CONTROLS, ids=repr)
@pytest.mark.parametrize("field", ["body", "reason"])
def test_multi_line_text_refuses_control_characters_other_than_tab_lf_and_cr(field: str, char: str) -> None:
    where, message = refused(**{field: f"line{char}"})
    assert where == field
    assert "only tab, LF and CR are allowed" in message


def test_multi_line_text_keeps_tabs_and_line_breaks() -> None:
    text = "Steps:\n\t1. back up\r\n\t2. restore"
    assert _Input(body=text, reason=text).body == text


def test_nul_is_named_in_the_message_with_its_position() -> None:
    assert (
        refused(subject="Backups\x00fail")[1]
        == "Value error, single-line text must not contain NUL (U+0000 at position 7)"
    )


def test_a_lone_surrogate_is_refused_by_both_rules() -> None:
    with pytest.raises(ValueError, match="lone UTF-16 surrogate"):
        single_line("a\ud800")
    with pytest.raises(ValueError, match="lone UTF-16 surrogate"):
        multi_line("\udfffb")


@pytest.mark.parametrize("text", ["Café Zürich", "株式会社", "🙂 ok", "zero\u200bwidth", "non\u00a0breaking", ""])
def test_text_of_any_script_emoji_and_format_characters_is_accepted(text: str) -> None:
    assert single_line(text) == text
    assert multi_line(text) == text


def test_the_contract_lengths_still_hold() -> None:
    assert refused(name="")[0] == "name"
    assert refused(name="n" * 201)[0] == "name"
    assert refused(sku="s" * 101)[0] == "sku"
    assert refused(reason="r" * 4001)[0] == "reason"
    assert refused(email="not-an-address")[0] == "email"


def test_the_openapi_schema_shows_the_rule_as_a_pattern_that_means_the_same() -> None:
    properties = _Input.model_json_schema()["properties"]
    assert properties["subject"]["pattern"] == properties["name"]["pattern"] == SINGLE_LINE_PATTERN
    assert properties["body"]["pattern"] == properties["reason"]["pattern"] == MULTI_LINE_PATTERN
    assert (properties["name"]["minLength"], properties["name"]["maxLength"]) == (1, 200)
    assert properties["subject"]["maxLength"] == 200
    for code in range(0x00, 0xA0):
        char = chr(code)
        assert (re.fullmatch(SINGLE_LINE_PATTERN, char) is not None) == _accepts(single_line, char)
        assert (re.fullmatch(MULTI_LINE_PATTERN, char) is not None) == _accepts(multi_line, char)


def _accepts(rule: object, text: str) -> bool:
    try:
        rule(text)  # type: ignore[operator]
    except ValueError:
        return False
    return True
