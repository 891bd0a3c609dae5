"""The caller's identity, as the gateway passes it to services.

The gateway authenticates the request, strips any identity headers the client sent, and adds
`X-BSS-Identity` with `X-BSS-Identity-Signature` (HMAC-SHA256 of the value with the suite's shared secret,
hex). Services accept an identity only with a valid signature, so a client that talks to a service directly
cannot claim to be anyone.

An identity is bound to the one request it was made for, so a captured one is worth little: the value is
`<caller>.<audience>.<method>.<issued>.<target digest>`, where `<caller>` is base64url JSON (role, subject,
tenant; the gateway encodes it once per caller), `<audience>` the service it goes to (`catalog`,
`subscriptions`, `billing`, `support-sla`), `<method>` the HTTP method, `<issued>` epoch seconds, and
`<target digest>` the hex SHA-256 of the request target the service receives (path and query exactly as on
the wire, after the gateway's prefix rewrite). A service refuses an identity made for another service, method,
path or query, one older than `MAX_AGE_S`, and one issued more than `CLOCK_SKEW_S` in its future.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from enum import StrEnum

IDENTITY_HEADER = "x-bss-identity"
SIGNATURE_HEADER = "x-bss-identity-signature"
MAX_AGE_S = 30  # an identity is used at once; 30 s covers a slow upstream queue, not a replay
CLOCK_SKEW_S = 5  # how far the gateway's clock may run ahead of a service's


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


def encode_caller(caller: Caller) -> bytes:
    """The `<caller>` part of an identity: base64url JSON of role, subject and tenant (constant per caller)."""
    claims = {"role": caller.role.value, "sub": caller.subject, "tenant": caller.tenant_id}
    return base64.urlsafe_b64encode(json.dumps(claims, separators=(",", ":")).encode()).rstrip(b"=")


class IdentitySigner:
    """Makes identity values and signatures with one secret, whose HMAC key state is computed once."""

    __slots__ = ("_keyed",)

    def __init__(self, secret: bytes) -> None:
        self._keyed = hmac.new(secret, digestmod=hashlib.sha256)

    def sign(self, value: bytes) -> bytes:
        """HMAC-SHA256 of `value`, hex."""
        mac = self._keyed.copy()
        mac.update(value)
        return mac.hexdigest().encode()

    def bind(self, caller: bytes, audience: bytes, method: bytes, target: bytes, issued: int) -> tuple[bytes, bytes]:
        """The header values for one request: `caller` (from `encode_caller`) bound to it, and their signature.

        The gateway's hot path: one SHA-256 of the target, one join, one HMAC; nothing is re-encoded as JSON.
        """
        value = b".".join((caller, audience, method, b"%d" % issued, hashlib.sha256(target).hexdigest().encode()))
        return value, self.sign(value)


def bind_identity(
    caller: bytes, secret: bytes, *, audience: bytes, method: bytes, target: bytes, issued: int
) -> tuple[bytes, bytes]:
    """`IdentitySigner.bind` with a one-off signer (tests and tools; the gateway keeps its signer)."""
    return IdentitySigner(secret).bind(caller, audience, method, target, issued)


def request_identity_headers(
    caller: bytes, secret: bytes, *, audience: str, method: str, target: bytes
) -> dict[str, str]:
    """The two identity headers for one request signed now, as the gateway sends them (test clients and
    benchmarks that call a service directly; `caller` from `encode_caller`, `target` the raw path and query)."""
    value, signature = bind_identity(
        caller, secret, audience=audience.encode(), method=method.encode(), target=target, issued=int(time.time())
    )
    return {IDENTITY_HEADER: value.decode(), SIGNATURE_HEADER: signature.decode()}


def encode_identity(
    caller: Caller, secret: bytes, *, audience: str, method: str, target: bytes, now: float
) -> tuple[str, str]:
    """The two header values for `caller` on one request (`target`: path and query as the service receives them)."""
    value, signature = bind_identity(
        encode_caller(caller),
        secret,
        audience=audience.encode(),
        method=method.encode(),
        target=target,
        issued=int(now),
    )
    return value.decode(), signature.decode()


def request_target(raw_path: bytes, query_string: bytes) -> bytes:
    """The request target as it was on the request line: the raw path, then `?` and the query if there is one."""
    return raw_path + b"?" + query_string if query_string else raw_path


def decode_identity(
    value: str, signature: str, secret: bytes, *, audience: str, method: str, target: bytes, now: float
) -> Caller:
    """The caller named by signed headers made for this very request, or `InvalidIdentity` saying why not.

    `audience` is the service's own name; `method` and `target` (see `request_target`) are the request's.
    """
    raw = value.encode("utf-8", "surrogateescape")
    expected = hmac.digest(secret, raw, "sha256").hex().encode()
    if not hmac.compare_digest(expected, signature.encode("utf-8", "surrogateescape")):
        raise InvalidIdentity("identity signature does not match")
    parts = value.split(".")
    if len(parts) != 5 or not parts[3].isascii() or not parts[3].isdigit():
        raise InvalidIdentity("identity header is malformed")
    caller, made_for, made_method, issued_text, digest = parts
    if made_for != audience:
        raise InvalidIdentity(f"it was made for the {made_for} service, not {audience}")
    if made_method != method:
        raise InvalidIdentity(f"it was made for a {made_method} request, not {method}")
    if digest != hashlib.sha256(target).hexdigest():
        raise InvalidIdentity("it was made for another path or query")
    issued = int(issued_text)
    if now - issued > MAX_AGE_S:
        raise InvalidIdentity(f"it has expired (issued {int(now - issued)} s ago; identities live {MAX_AGE_S} s)")
    if issued - now > CLOCK_SKEW_S:
        raise InvalidIdentity(
            f"it was issued {int(issued - now)} s in the future (more than the {CLOCK_SKEW_S} s of clock skew allowed)"
        )
    return _caller(caller)


def _caller(encoded: str) -> Caller:
    try:
        claims = json.loads(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
        role = Role(claims["role"])
        subject = str(claims["sub"])
        tenant = claims.get("tenant")
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidIdentity("identity header is malformed") from exc
    return Caller(role=role, subject=subject, tenant_id=str(tenant) if tenant else None)
