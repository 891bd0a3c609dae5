"""Hostile request bodies that every JSON endpoint refuses with a 400 problem, and what its detail must say.

(A bare `NaN` is not among them: billing's usage intake reads it, to refuse that one event; see
`tests/unit/bss/test_json_body.py`.)
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest


@dataclass(frozen=True)
class HostileBody:
    name: str
    body: bytes
    detail: str
    """Words the problem's `detail` holds: it says what is wrong."""


HOSTILE_BODIES = [
    HostileBody("nested-1000-deep", b"[" * 1_000 + b"]" * 1_000, "more than 64 deep"),
    HostileBody("nested-100000-deep", b'{"a":' * 100_000 + b"1" + b"}" * 100_000, "more than 64 deep"),
    HostileBody("invalid-utf8", b'{"name": "caf\xe9"}', "not UTF-8: byte 0xE9"),
    HostileBody("lone-surrogate-escape", b'{"name": "\\ud800"}', "lone UTF-16 surrogate"),
    HostileBody("raw-surrogate-bytes", b'{"name": "\xed\xa0\x80"}', "not UTF-8: byte 0xED"),
    HostileBody("integer-of-5000-digits", b'{"amount": ' + b"7" * 5_000 + b"}", "(5000 characters) is longer than 64"),
    HostileBody("number-of-100000-digits", b'{"amount": 0.' + b"5" * 100_000 + b"}", "is longer than 64 characters"),
    HostileBody("exponent-of-5000-digits", b'{"amount": 1e' + b"9" * 5_000 + b"}", "is longer than 64 characters"),
    HostileBody("string-over-the-limit", b'{"name": "' + b"x" * 100_001 + b'"}', "longer than 100000"),
    HostileBody("not-json", b"name=Northwind&role=admin", "not JSON"),
]

each_hostile_body = pytest.mark.parametrize("hostile", HOSTILE_BODIES, ids=[h.name for h in HOSTILE_BODIES])
