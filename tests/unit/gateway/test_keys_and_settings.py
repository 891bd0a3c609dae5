"""API key tokens, identity headers, request paths and the production checks of the settings."""

from __future__ import annotations

import time
from typing import Any

import pytest
from pydantic import SecretStr

from bss.identity import Caller, IdentitySigner, Role, decode_identity
from bss.settings import ConfigurationError
from gateway.admission import Incoming, _target
from gateway.keys import ANONYMOUS_STOREFRONT, Principal, new_token, parse_token, secret_digest, secret_matches
from gateway.server import ConnectionLimits, gateway_protocol
from gateway.settings import DEV_BOOTSTRAP_ADMIN_KEY, GatewaySettings

PRODUCTION: dict[str, Any] = {
    "environment": "production",
    "identity_secret": SecretStr("p" * 40),
    "database_url": "postgresql+asyncpg://gw@db/gateway",
}


def test_a_token_names_its_key_id_and_carries_a_256_bit_secret() -> None:
    key_id, secret, token = new_token()
    assert parse_token(token) == (key_id, secret)
    assert len(key_id) == 12
    assert len(secret) == 43
    assert secret_matches(secret, secret_digest(secret))
    assert not secret_matches(secret + "x", secret_digest(secret))
    assert new_token()[2] != token


@pytest.mark.parametrize(
    "bad", ["", "bss_", "bss_xyz_abc", "key_0123456789ab_" + "A" * 43, "bss_0123456789ab_" + "A" * 42]
)
def test_malformed_tokens_do_not_parse(bad: str) -> None:
    assert parse_token(bad) is None


def test_identity_headers_are_signed_for_each_request_with_the_callers_encoding_kept() -> None:
    principal = Principal(Caller(Role.RESELLER, "key:1", tenant_id="r-1"), "key:1", 1.0, 1)
    now = time.time()
    request = {"audience": b"support-sla", "method": b"POST", "target": b"/v1/tickets?x=1"}
    value, signature = principal.identity_headers(IdentitySigner(b"s" * 32), now=now, **request)
    other = principal.identity_headers(IdentitySigner(b"s" * 32), now=now, **{**request, "target": b"/v1/tickets"})
    assert other[0].split(b".")[0] == value.split(b".")[0]  # the caller's part: encoded once, reused
    assert other != (value, signature)
    caller = decode_identity(
        value.decode(),
        signature.decode(),
        b"s" * 32,
        audience="support-sla",
        method="POST",
        target=b"/v1/tickets?x=1",
        now=now,
    )
    assert (caller.role, caller.tenant_id) == (Role.RESELLER, "r-1")


def test_anonymous_storefront_identity_names_the_anonymous_storefront_caller() -> None:
    principal = Principal(ANONYMOUS_STOREFRONT, "anon:127.0.0.1", 1.0, 1)
    value, signature = principal.identity_headers(
        IdentitySigner(b"s" * 32),
        audience=b"catalog",
        method=b"GET",
        target=b"/v1/storefront/groups",
        now=1_700_000_000.0,
    )
    caller = decode_identity(
        value.decode(),
        signature.decode(),
        b"s" * 32,
        audience="catalog",
        method="GET",
        target=b"/v1/storefront/groups",
        now=1_700_000_000.0,
    )
    assert caller == ANONYMOUS_STOREFRONT


def test_incoming_headers_drop_credentials_identity_and_hop_by_hop_headers() -> None:
    incoming = Incoming(
        [
            (b"x-api-key", b"bss_k"),
            (b"x-bss-identity", b"spoof"),
            (b"x-bss-identity-signature", b"spoof"),
            (b"x-bss-identity-tenant", b"r-2"),
            (b"connection", b"keep-alive"),
            (b"accept", b"application/json"),
            (b"cookie", b"a=1"),
            (b"cookie", b"b=2"),
            (b"content-length", b"12"),
            (b"x-request-id", b"trace-1"),
        ]
    )
    assert incoming.forward == b"accept: application/json\r\ncookie: a=1\r\ncookie: b=2\r\n"
    assert (incoming.token, incoming.content_length, incoming.request_id) == ("bss_k", 12, b"trace-1")


def test_bearer_token_is_read_from_authorization() -> None:
    assert Incoming([(b"authorization", b"Bearer abc.def.ghi")]).token == "abc.def.ghi"
    assert Incoming([(b"authorization", b"Basic dXNlcg==")]).token is None


@pytest.mark.parametrize(
    ("path", "raw", "expected"),
    [
        ("/api/v1/catalog/products/1", b"/api/v1/catalog/products/1", b"/v1/products/1?a=1"),
        ("/api/v1/catalog/a b", b"/api/v1/catalog/a%20b", b"/v1/a%20b?a=1"),
        ("/api/v1/catalog/a/../b", b"/api/v1/catalog/a/../b", None),
        ("/api/v1/catalog/a/./b", b"/api/v1/catalog/a/./b", None),
        ("/api/v1/catalog/a//b", b"/api/v1/catalog/a//b", None),
        ("/api/v1/catalog/a/b", b"/api/v1/catalog/a%2Fb", None),
        ("/api/v1/catalog/..", b"/api/v1/catalog/%2e%2e", None),
    ],
)
def test_only_normalized_paths_are_forwarded(path: str, raw: bytes, expected: bytes | None) -> None:
    tail = path[len("/api/v1/catalog/") :]
    assert _target(raw, b"a=1", "catalog", tail) == expected


def test_embedded_default_has_the_documented_development_admin_key_and_sqlite() -> None:
    settings = GatewaySettings()
    assert settings.bootstrap_admin_key is not None
    assert settings.bootstrap_admin_key.get_secret_value() == DEV_BOOTSTRAP_ADMIN_KEY
    assert settings.database_url == "sqlite+aiosqlite:///var/gateway.db"
    assert settings.migrate_on_start is True


def test_production_refuses_the_development_admin_key_and_embedded_defaults() -> None:
    with pytest.raises(ConfigurationError, match="bootstrap_admin_key"):
        GatewaySettings(**PRODUCTION, bootstrap_admin_key=SecretStr(DEV_BOOTSTRAP_ADMIN_KEY))
    with pytest.raises(ConfigurationError, match=r"identity_secret.*database_url"):
        GatewaySettings(environment="production")
    settings = GatewaySettings(**PRODUCTION)
    assert settings.bootstrap_admin_key is None
    assert settings.migrate_on_start is False


def test_connection_limits_default_to_16_kib_heads_100_headers_8_kib_targets_10_s_heads_5_s_idle() -> None:
    assert GatewaySettings().connection_limits() == ConnectionLimits(16384, 100, 8192, 10.0, 5.0)


def test_connection_limits_are_read_from_gateway_environment_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "GATEWAY_MAX_REQUEST_HEAD_BYTES": "32768",
        "GATEWAY_MAX_REQUEST_HEADERS": "50",
        "GATEWAY_MAX_URL_BYTES": "4096",
        "GATEWAY_REQUEST_HEAD_TIMEOUT_S": "2.5",
        "GATEWAY_KEEP_ALIVE_TIMEOUT_S": "1",
    }.items():
        monkeypatch.setenv(name, value)
    assert GatewaySettings().connection_limits() == ConnectionLimits(32768, 50, 4096, 2.5, 1.0)
    assert gateway_protocol(ConnectionLimits(32768, 50, 4096, 2.5, 1.0)).limits.max_headers == 50
