"""Signed identity headers: a service accepts a caller only with a valid, unexpired signature from the gateway."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

import pytest

from bss.identity import MAX_AGE_S, Caller, InvalidIdentity, Role, decode_identity, encode_identity

SECRET = b"the-suite-shared-identity-secret-for-tests"
NOW = 1_700_000_000.0


def signed(value: str, secret: bytes = SECRET) -> str:
    """What the gateway would sign: HMAC-SHA256 of the header value, hex."""
    return hmac.new(secret, value.encode(), hashlib.sha256).hexdigest()


def encoded(claims: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "caller",
    [
        Caller(role=Role.ADMIN, subject="alice"),
        Caller(role=Role.SUPPORT_AGENT, subject="bob@example.com"),
        Caller(role=Role.RESELLER, subject="user-7", tenant_id="reseller-42"),
        Caller(role=Role.STOREFRONT, subject="storefront", tenant_id="reseller-42"),
        Caller(role=Role.SYSTEM, subject="billing"),
        Caller(role=Role.ADMIN, subject="Zoë Ünïcode ✓"),
    ],
    ids=lambda caller: caller.role.value,
)
def test_encoded_identity_decodes_to_the_same_caller(caller: Caller) -> None:
    value, signature = encode_identity(caller, SECRET, now=NOW)
    assert decode_identity(value, signature, SECRET, now=NOW) == caller


def test_identity_is_valid_for_max_age_seconds_and_no_longer() -> None:
    caller = Caller(role=Role.ADMIN, subject="alice")
    value, signature = encode_identity(caller, SECRET, now=NOW)
    assert decode_identity(value, signature, SECRET, now=NOW + MAX_AGE_S) == caller
    with pytest.raises(InvalidIdentity, match="expired"):
        decode_identity(value, signature, SECRET, now=NOW + MAX_AGE_S + 1)


def test_expired_identity_is_refused_long_after() -> None:
    value, signature = encode_identity(Caller(role=Role.ADMIN, subject="alice"), SECRET, now=NOW)
    with pytest.raises(InvalidIdentity, match="expired"):
        decode_identity(value, signature, SECRET, now=NOW + 86_400)


def test_tampered_value_with_the_original_signature_is_refused() -> None:
    value, signature = encode_identity(Caller(role=Role.SUPPORT_AGENT, subject="bob"), SECRET, now=NOW)
    claims = json.loads(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)))
    claims["role"] = "admin"
    with pytest.raises(InvalidIdentity, match="signature"):
        decode_identity(encoded(claims), signature, SECRET, now=NOW)


def test_tampered_tenant_is_refused() -> None:
    value, signature = encode_identity(Caller(role=Role.RESELLER, subject="u", tenant_id="r-1"), SECRET, now=NOW)
    claims = json.loads(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)))
    claims["tenant"] = "r-2"
    with pytest.raises(InvalidIdentity, match="signature"):
        decode_identity(encoded(claims), signature, SECRET, now=NOW)


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
    value, signature = encode_identity(Caller(role=Role.ADMIN, subject="alice"), SECRET, now=NOW)
    with pytest.raises(InvalidIdentity, match="signature"):
        decode_identity(value, tamper(signature), SECRET, now=NOW)


def test_signature_with_non_ascii_characters_is_refused_as_invalid_identity() -> None:
    # A client talking to a service directly controls this header; a bad one must be a refusal, not a crash.
    value, _ = encode_identity(Caller(role=Role.ADMIN, subject="alice"), SECRET, now=NOW)
    with pytest.raises(InvalidIdentity):
        decode_identity(value, "é" * 64, SECRET, now=NOW)


def test_identity_signed_with_another_secret_is_refused() -> None:
    value, signature = encode_identity(Caller(role=Role.ADMIN, subject="alice"), b"some-other-secret", now=NOW)
    with pytest.raises(InvalidIdentity, match="signature"):
        decode_identity(value, signature, SECRET, now=NOW)


def test_reseller_caller_without_tenant_is_refused() -> None:
    with pytest.raises(InvalidIdentity, match="tenant"):
        Caller(role=Role.RESELLER, subject="user-7")
    with pytest.raises(InvalidIdentity, match="tenant"):
        Caller(role=Role.RESELLER, subject="user-7", tenant_id="")


@pytest.mark.parametrize("tenant", [None, ""])
def test_signed_reseller_identity_without_tenant_is_refused(tenant: str | None) -> None:
    value = encoded({"role": "reseller", "sub": "user-7", "tenant": tenant, "exp": int(NOW) + 60})
    with pytest.raises(InvalidIdentity, match="tenant"):
        decode_identity(value, signed(value), SECRET, now=NOW)


def test_staff_are_admins_and_support_agents_only() -> None:
    assert Caller(role=Role.ADMIN, subject="a").is_staff
    assert Caller(role=Role.SUPPORT_AGENT, subject="s").is_staff
    assert not Caller(role=Role.RESELLER, subject="r", tenant_id="t").is_staff
    assert not Caller(role=Role.STOREFRONT, subject="f").is_staff
    assert not Caller(role=Role.SYSTEM, subject="billing").is_staff


# Correctly signed values whose content is not an identity: the parser, not the signature, must refuse them.
MALFORMED = {
    "not-base64": "%%%not*base64%%%",
    "base64-of-text": base64.urlsafe_b64encode(b"not json at all").decode(),
    "base64-of-invalid-utf8": base64.urlsafe_b64encode(b"\xff\xfe\xfd").decode(),
    "json-list": encoded([1, 2, 3]),
    "json-number": encoded(42),
    "json-null": encoded(None),
    "empty-object": encoded({}),
    "missing-exp": encoded({"role": "admin", "sub": "alice"}),
    "missing-sub": encoded({"role": "admin", "exp": int(NOW) + 60}),
    "unknown-role": encoded({"role": "root", "sub": "alice", "exp": int(NOW) + 60}),
    "exp-not-a-number": encoded({"role": "admin", "sub": "alice", "exp": "tomorrow"}),
    "exp-null": encoded({"role": "admin", "sub": "alice", "exp": None}),
    "empty-value": "",
}


@pytest.mark.parametrize("value", MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_identity_is_refused_even_when_signed(value: str) -> None:
    with pytest.raises(InvalidIdentity, match="malformed"):
        decode_identity(value, signed(value), SECRET, now=NOW)
