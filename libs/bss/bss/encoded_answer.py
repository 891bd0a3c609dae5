"""An answer encoded once and served many times: its bytes, gzipped, a strong ETag for each, and the choice between
them for a request's `If-None-Match` and `Accept-Encoding` (RFC 9110 8.8.3, 12.5.3, 13.1.2, 15.4.5).

Pure bytes and header values, no web framework: a read cache builds it when its content changes, and a route turns
the choice into a response (`bss.api.encoded_answers`). The ETag is the SHA-256 of the identity bytes, so two
replicas that build the same content give the same ETag. The gzipped bytes are a different representation, so they
carry their own ETag (`-gzip` appended, as Apache's mod_deflate does): a strong validator promises identical bytes.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
from dataclasses import dataclass

GZIP_LEVEL = 6


@dataclass(frozen=True, slots=True)
class Choice:
    """What to answer: 304 (no body) or 200 with `body`, its ETag and whether it is gzipped."""

    status: int
    etag: str
    body: bytes = b""
    gzipped: bool = False


@dataclass(frozen=True, slots=True)
class EncodedAnswer:
    body: bytes
    gzipped: bytes
    etag: str
    gzip_etag: str

    @classmethod
    def of(cls, body: bytes) -> EncodedAnswer:
        """Encode once: gzip with a fixed header time (the same bytes on every replica), and the two ETags."""
        digest = base64.urlsafe_b64encode(hashlib.sha256(body).digest()[:18]).decode()
        return cls(body, gzip.compress(body, GZIP_LEVEL, mtime=0), f'"{digest}"', f'"{digest}-gzip"')

    def choose(self, if_none_match: str | None, accept_encoding: str | None) -> Choice:
        """304 when the client holds either representation (`If-None-Match` compares weakly, so `W/` is ignored;
        `*` matches), echoing the ETag it holds; else 200 with gzip when the client accepts it, identity if not."""
        if if_none_match is not None:
            held = _etags(if_none_match)
            if "*" in held:
                return Choice(304, self.gzip_etag if accepts_gzip(accept_encoding) else self.etag)
            for etag in (self.etag, self.gzip_etag):
                if etag in held:
                    return Choice(304, etag)
        if accepts_gzip(accept_encoding):
            return Choice(200, self.gzip_etag, self.gzipped, gzipped=True)
        return Choice(200, self.etag, self.body)


def _etags(if_none_match: str) -> set[str]:
    """The entity tags of an `If-None-Match` value, without their weakness marks (weak comparison)."""
    tags = set()
    for item in if_none_match.split(","):
        tag = item.strip()
        tags.add(tag[2:] if tag.startswith("W/") else tag)
    return tags


def accepts_gzip(accept_encoding: str | None) -> bool:
    """Whether `Accept-Encoding` admits gzip: listed (or `*`) with a non-zero weight; `gzip;q=0` refuses it."""
    if not accept_encoding:
        return False
    weights: dict[str, float] = {}
    for item in accept_encoding.split(","):
        coding, _, parameters = item.partition(";")
        weight = 1.0
        for parameter in parameters.split(";"):
            name, _, value = parameter.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        weights[coding.strip().lower()] = weight
    if "gzip" in weights:
        return weights["gzip"] > 0
    if "x-gzip" in weights:
        return weights["x-gzip"] > 0
    return weights.get("*", 0.0) > 0
