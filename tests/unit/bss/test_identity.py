"""Signed identity headers: a service accepts a caller only with a valid signature from the gateway, made for
this service, this method and this path and query, within `MAX_AGE_S` of issue."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

import pytest

from bss.identity import (
    CLOCK_SKEW_S,
    MAX_AGE_S,
    Caller,
    InvalidIdentity,
    Role,
    decode_identity,
    encode_identity,
    request_target,
)

SECRET = b"the-suite-shared-identity-secret-for-tests"
NOW = 1_700_000_000.0
# The request the identities below are made for, as the catalog service receives it.
REQUEST: dict[str, Any] = {"audience": "catalog", "method": "GET", "target": b"/v1/products/p-1?as_of=2024-06-01"}


def encode(caller: Caller, secret: bytes = SECRET, now: float = NOW, **request: Any) -> tuple[str, str]:
    return encode_identity(caller, secret, now=now, **{**REQUEST, **request})


def decode(value: str, signature: str, now: float = NOW, **request: Any) -> Caller:
    return decode_identity(value, signature, SECRET, now=now, **{**REQUEST, **request})


def signed(value: str, secret: bytes = SECRET) -> str:
    """What the gateway would sign: HMAC-SHA256 of the header value, hex."""
    return hmac.new(secret, value.encode(), hashlib.sha256).hexdigest()


def encoded(claims: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")


def bound(caller_part: str, issued: float = NOW) -> str:
    """A value whose caller part is `caller_part`, bound correctly to `REQUEST`."""
    digest = hashlib.sha256(REQUEST["target"]).hexdigest()
    return f"{caller_part}.{REQUEST['audience']}.{REQUEST['method']}.{int(issued)}.{digest}"


ALICE = Caller(role=Role.ADMIN, subject="alice")


@pytest.mark.parametrize(
    "caller",
    [
        ALICE,
        Caller(role=Role.SUPPORT_AGENT, subject="bob@example.com"),
        Caller(role=Role.RESELLER, subject="user-7", tenant_id="reseller-42"),
        Caller(role=Role.STOREFRONT, subject="storefront", tenant_id="reseller-42"),
        Caller(role=Role.SYSTEM, subject="billing"),
        Caller(role=Role.ADMIN, subject="Zoë Ünïcode ✓"),
    ],
    ids=lambda caller: caller.role.value,
)
def test_encoded_identity_decodes_to_the_same_caller(caller: Caller) -> None:
    value, signature = encode(caller)
    assert decode(value, signature) == caller


def test_identity_made_for_another_service_is_refused_naming_both() -> None:
    value, signature = encode(ALICE, audience="billing")
    with pytest.raises(InvalidIdentity, match="made for the billing service, not catalog"):
        decode(value, signature, audience="catalog")


def test_identity_made_for_another_method_is_refused() -> None:
    value, signature = encode(ALICE, method="GET")
    with pytest.raises(InvalidIdentity, match="made for a GET request, not DELETE"):
        decode(value, signature, method="DELETE")


@pytest.mark.parametrize(
    "target",
    [b"/v1/products/p-2?as_of=2024-06-01", b"/v1/products/p-1?as_of=2024-06-02", b"/v1/products/p-1", b"/v1/products"],
    ids=["other-path", "other-query", "query-dropped", "parent-path"],
)
def test_identity_made_for_another_path_or_query_is_refused(target: bytes) -> None:
    value, signature = encode(ALICE)
    with pytest.raises(InvalidIdentity, match="another path or query"):
        decode(value, signature, target=target)


def test_identity_is_valid_for_30_seconds_and_refused_as_expired_after() -> None:
    assert MAX_AGE_S == 30
    value, signature = encode(ALICE)
    assert decode(value, signature, now=NOW + 30) == ALICE
    with pytest.raises(InvalidIdentity, match="expired"):
        decode(value, signature, now=NOW + 31)


def test_expired_identity_is_refused_long_after() -> None:
    value, signature = encode(ALICE)
    with pytest.raises(InvalidIdentity, match="expired"):
        decode(value, signature, now=NOW + 86_400)


def test_identity_issued_in_the_future_within_the_clock_skew_is_accepted() -> None:
    value, signature = encode(ALICE, now=NOW + CLOCK_SKEW_S)
    assert decode(value, signature, now=NOW) == ALICE


def test_identity_issued_in_the_future_beyond_the_clock_skew_is_refused() -> None:
    assert CLOCK_SKEW_S == 5
    value, signature = encode(ALICE, now=NOW + 6)
    with pytest.raises(InvalidIdentity, match="in the future"):
        decode(value, signature, now=NOW)


def test_request_target_is_the_raw_path_then_the_query_if_any() -> None:
    assert request_target(b"/v1/a%20b", b"x=1&y=%2F") == b"/v1/a%20b?x=1&y=%2F"
    assert request_target(b"/v1/a", b"") == b"/v1/a"


def test_tampered_value_with_the_original_signature_is_refused() -> None:
    value, signature = encode(Caller(role=Role.SUPPORT_AGENT, subject="bob"))
    caller_part, _, rest = value.partition(".")
    claims = json.loads(base64.urlsafe_b64decode(caller_part + "=" * (-len(caller_part) % 4)))
    claims["role"] = "admin"
    with pytest.raises(InvalidIdentity, match="signature"):
        decode(f"{encoded(claims)}.{rest}", signature)


def test_tampered_tenant_is_refused() -> None:
    value, signature = encode(Caller(role=Role.RESELLER, subject="u", tenant_id="r-1"))
    caller_part, _, rest = value.partition(".")
    claims = json.loads(base64.urlsafe_b64decode(caller_part + "=" * (-len(caller_part) % 4)))
    claims["tenant"] = "r-2"
    with pytest.raises(InvalidIdentity, match="signature"):
        decode(f"{encoded(claims)}.{rest}", signature)


@pytest.mark.parametrize(
    ("part", "replacement"),
    [(1, "billing"), (2, "POST"), (3, str(int(NOW) + 3600)), (4, hashlib.sha256(b"/v1/other").hexdigest())],
    ids=["audience", "method", "issued", "target"],
)
def test_rebinding_a_captured_identity_breaks_its_signature(part: int, replacement: str) -> None:
    value, signature = encode(ALICE)
    parts = value.split(".")
    parts[part] = replacement
    with pytest.raises(InvalidIdentity, match="signature"):
        decode(".".join(parts), signature)


@pytest.mark.parametrize(
    "tamper",
    [
        lambda signature: signature[:-1] + ("0" if signature[-1] != "0" else "1"),
        lambda signature: signature.upper(),
        lambda signature: signature[:32],
        lambda signature: "",
        lambda signature: signature + "00",
    ],
    ids=["last-digit-changed", "upper-case", "truncated", "empty", "extended"],
)
def test_tampered_signature_is_refused(tamper: Any) -> None:
    value, signature = encode(ALICE)
    with pytest.raises(InvalidIdentity, match="signature"):
        decode(value, tamper(signature))


def test_signature_with_non_ascii_characters_is_refused_as_invalid_identity() -> None:
    # A client talking to a service directly controls this header; a bad one must be a refusal, not a crash.
    value, _ = encode(ALICE)
    with pytest.raises(InvalidIdentity):
        decode(value, "é" * 64)


def test_identity_signed_with_another_secret_is_refused() -> None:
    value, signature = encode(ALICE, secret=b"some-other-secret")
    with pytest.raises(InvalidIdentity, match="signature"):
        decode(value, signature)


def test_reseller_caller_without_tenant_is_refused() -> None:
    with pytest.raises(InvalidIdentity, match="tenant"):
        Caller(role=Role.RESELLER, subject="user-7")
    with pytest.raises(InvalidIdentity, match="tenant"):
        Caller(role=Role.RESELLER, subject="user-7", tenant_id="")


@pytest.mark.parametrize("tenant", [None, ""])
def test_signed_reseller_identity_without_tenant_is_refused(tenant: str | None) -> None:
    value = bound(encoded({"role": "reseller", "sub": "user-7", "tenant": tenant}))
    with pytest.raises(InvalidIdentity, match="tenant"):
        decode(value, signed(value))


def test_staff_are_admins_and_support_agents_only() -> None:
    assert Caller(role=Role.ADMIN, subject="a").is_staff
    assert Caller(role=Role.SUPPORT_AGENT, subject="s").is_staff
    assert not Caller(role=Role.RESELLER, subject="r", tenant_id="t").is_staff
    assert not Caller(role=Role.STOREFRONT, subject="f").is_staff
    assert not Caller(role=Role.SYSTEM, subject="billing").is_staff


# Correctly signed values whose content is not an identity: the parser, not the signature, must refuse them.
MALFORMED = {
    "not-base64": bound("%%%not*base64%%%"),
    "base64-of-text": bound(base64.urlsafe_b64encode(b"not json at all").decode()),
    "base64-of-invalid-utf8": bound(base64.urlsafe_b64encode(b"\xff\xfe\xfd").decode()),
    "json-list": bound(encoded([1, 2, 3])),
    "json-number": bound(encoded(42)),
    "json-null": bound(encoded(None)),
    "empty-object": bound(encoded({})),
    "missing-sub": bound(encoded({"role": "admin"})),
    "unknown-role": bound(encoded({"role": "root", "sub": "alice"})),
    "issued-not-a-number": bound(encoded({"role": "admin", "sub": "alice"})).replace(str(int(NOW)), "tomorrow"),
    "issued-not-ascii-digits": bound(encoded({"role": "admin", "sub": "alice"})).replace(str(int(NOW)), "１２"),
    "too-few-parts": encoded({"role": "admin", "sub": "alice"}) + ".catalog.GET",
    "too-many-parts": bound(encoded({"role": "admin", "sub": "alice"})) + ".extra",
    "empty-value": "",
}


@pytest.mark.parametrize("value", MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_identity_is_refused_even_when_signed(value: str) -> None:
    with pytest.raises(InvalidIdentity, match="malformed"):
        decode(value, signed(value))
