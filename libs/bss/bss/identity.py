"""The caller's identity, as the gateway passes it to services.

The gateway authenticates the request, strips any identity headers the client sent, and adds
`X-BSS-Identity` (base64url JSON: role, tenant, subject, expiry) with `X-BSS-Identity-Signature`
(HMAC-SHA256 with the suite's shared secret). Services accept an identity only with a valid signature,
so a client that talks to a service directly cannot claim to be anyone.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from enum import StrEnum

IDENTITY_HEADER = "x-bss-identity"
SIGNATURE_HEADER = "x-bss-identity-signature"
MAX_AGE_S = 300


class Role(StrEnum):
    ADMIN = "admin"
    SUPPORT_AGENT = "support_agent"
    RESELLER = "reseller"
    STOREFRONT = "storefront"
    SYSTEM = "system"


class InvalidIdentity(Exception):
    pass


@dataclass(frozen=True, slots=True)
class Caller:
    role: Role
    subject: str
    tenant_id: str | None = None

    def __post_init__(self) -> None:
        if self.role is Role.RESELLER and not self.tenant_id:
            raise InvalidIdentity("a reseller identity must name its tenant")

    @property
    def is_staff(self) -> bool:
        return self.role in (Role.ADMIN, Role.SUPPORT_AGENT)


def encode_identity(caller: Caller, secret: bytes, *, now: float) -> tuple[str, str]:
    """The two header values the gateway sends for `caller`, valid for `MAX_AGE_S` seconds."""
    claims = {"role": caller.role.value, "sub": caller.subject, "tenant": caller.tenant_id, "exp": int(now) + MAX_AGE_S}
    value = base64.urlsafe_b64encode(json.dumps(claims, separators=(",", ":")).encode()).decode().rstrip("=")
    return value, _sign(value, secret)


def decode_identity(value: str, signature: str, secret: bytes, *, now: float) -> Caller:
    """The caller named by signed headers, or `InvalidIdentity`."""
    expected = _sign(value, secret).encode()
    if not hmac.compare_digest(expected, signature.encode("utf-8", "surrogateescape")):
        raise InvalidIdentity("identity signature does not match")
    try:
        claims = json.loads(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)))
        role = Role(claims["role"])
        expires = int(claims["exp"])
        subject = str(claims["sub"])
        tenant = claims.get("tenant")
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidIdentity("identity header is malformed") from exc
    if expires < now:
        raise InvalidIdentity("identity has expired")
    return Caller(role=role, subject=subject, tenant_id=str(tenant) if tenant else None)


def _sign(value: str, secret: bytes) -> str:
    return hmac.new(secret, value.encode(), hashlib.sha256).hexdigest()
