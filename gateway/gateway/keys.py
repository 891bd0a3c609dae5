"""API key tokens: `bss_<key id>_<secret>`; only the SHA-256 of the secret is stored.

The key id (12 hex digits) finds the row; the 32-byte random secret proves possession. The secret has 256
bits of entropy, so a fast hash is the right one (a slow password hash protects guessable secrets, and would
cost milliseconds on every cache miss); comparisons are constant-time.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from bss.identity import Caller, IdentitySigner, Role, encode_caller

TOKEN_PREFIX = "bss_"
_TOKEN = re.compile(r"bss_([0-9a-f]{12})_([A-Za-z0-9_-]{43})")


def new_token() -> tuple[str, str, str]:
    """A fresh key: (key id, secret, the token the caller presents)."""
    key_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    return key_id, secret, f"{TOKEN_PREFIX}{key_id}_{secret}"


def parse_token(token: str) -> tuple[str, str] | None:
    """(key id, secret) of a well-formed token, else None."""
    match = _TOKEN.fullmatch(token)
    return (match.group(1), match.group(2)) if match else None


def secret_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def secret_matches(secret: str, digest: str) -> bool:
    """Whether `secret` hashes to `digest`, in constant time."""
    return hmac.compare_digest(secret_digest(secret).encode(), digest.encode())


@dataclass(slots=True)
class Principal:
    """An authenticated caller as the hot path needs it: identity, rate-limit bucket, expiry."""

    caller: Caller
    limit_key: str
    rate_per_s: float
    burst: int
    expires_at: float | None = None  # epoch seconds
    _claims: bytes | None = None

    def identity_headers(
        self, signer: IdentitySigner, *, audience: bytes, method: bytes, target: bytes, now: float
    ) -> tuple[bytes, bytes]:
        """The signed `x-bss-identity` value and signature for one request (`bss.identity.IdentitySigner.bind`).

        The caller's JSON is encoded once per principal; each request costs one SHA-256 and one HMAC.
        """
        return signer.bind(self.claims(), audience, method, target, int(now))

    def claims(self) -> bytes:
        """The caller's part of every identity it is given (`bss.identity.encode_caller`), encoded once."""
        claims = self._claims
        if claims is None:
            # Anonymous principals are made per request: their caller's encoding is made once, below.
            caller = self.caller
            claims = _ANONYMOUS_CLAIMS if caller is ANONYMOUS_STOREFRONT else encode_caller(caller)
            self._claims = claims
        return claims


ANONYMOUS_STOREFRONT = Caller(Role.STOREFRONT, "anonymous-storefront")
_ANONYMOUS_CLAIMS = encode_caller(ANONYMOUS_STOREFRONT)
