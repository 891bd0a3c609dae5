"""An answer encoded once (`bss.encoded_answer`): strong ETags per encoding, If-None-Match compared weakly, and
Accept-Encoding weights honoured (RFC 9110 8.8.3, 12.5.3, 13.1.2)."""

from __future__ import annotations

import gzip

import pytest

from bss.encoded_answer import EncodedAnswer, accepts_gzip

BODY = b'{"groups":[' + b'{"name":"Tier 1"},' * 200 + b'{"name":"Tier 2"}]}'


@pytest.mark.parametrize(
    ("header", "accepted"),
    [
        ("gzip", True),
        ("gzip, deflate, br", True),
        ("br;q=1.0, GZIP;q=0.8", True),
        ("x-gzip", True),
        ("*", True),
        ("gzip;q=0", False),
        ("gzip; q=0.0, identity", False),
        ("*;q=0", False),
        ("identity", False),
        ("deflate", False),
        ("", False),
        (None, False),
    ],
)
def test_gzip_is_sent_only_when_the_client_accepts_it(header: str | None, accepted: bool) -> None:
    assert accepts_gzip(header) is accepted


def test_the_gzipped_bytes_decode_to_the_body_and_are_the_same_on_every_build() -> None:
    answer = EncodedAnswer.of(BODY)
    assert gzip.decompress(answer.gzipped) == BODY
    assert len(answer.gzipped) < len(BODY)
    assert EncodedAnswer.of(BODY) == answer  # no build time in the gzip header: every replica sends the same bytes


def test_each_encoding_has_its_own_strong_etag_that_follows_the_content() -> None:
    answer = EncodedAnswer.of(BODY)
    assert answer.etag.startswith('"')
    assert answer.etag != answer.gzip_etag
    assert EncodedAnswer.of(BODY + b" ").etag != answer.etag


def test_200_with_gzip_or_identity_as_accepted() -> None:
    answer = EncodedAnswer.of(BODY)
    zipped = answer.choose(None, "gzip, deflate")
    assert (zipped.status, zipped.etag, zipped.body, zipped.gzipped) == (200, answer.gzip_etag, answer.gzipped, True)
    plain = answer.choose(None, None)
    assert (plain.status, plain.etag, plain.body, plain.gzipped) == (200, answer.etag, BODY, False)


@pytest.mark.parametrize("held", ["etag", "gzip_etag"])
def test_304_echoes_the_etag_the_client_holds_whatever_it_accepts_now(held: str) -> None:
    answer = EncodedAnswer.of(BODY)
    etag = getattr(answer, held)
    for accept in ("gzip", "identity"):
        for header in (etag, f"W/{etag}", f'"older", {etag}'):
            choice = answer.choose(header, accept)
            assert (choice.status, choice.etag, choice.body) == (304, etag, b"")


def test_a_stale_etag_gets_the_full_answer_and_a_star_matches_any() -> None:
    answer = EncodedAnswer.of(BODY)
    stale = EncodedAnswer.of(b"{}")
    assert answer.choose(stale.etag, "gzip").status == 200
    assert answer.choose(stale.gzip_etag, "gzip").status == 200
    assert answer.choose("*", "gzip").status == 304
