"""Signed JWT bearer tokens: issuer, audience, expiry and signature are checked; claims carry role and tenant."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx
import jwt
import pytest
import pytest_asyncio

from tests.harness.services import RunningServer
from tests.integration.gateway.conftest import StartGateway

pytestmark = pytest.mark.asyncio(loop_scope="session")

KEY = "test-only-jwt-signing-key-of-32-chars-or-more"
ISSUER = "https://auth.test.example/"
AUDIENCE = "bss-test"


def token(key: str = KEY, **overrides: Any) -> str:
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "portal-user-9",
        "role": "reseller",
        "tenant": "r-9",
        "exp": int(time.time()) + 300,
    }
    claims.update(overrides)
    claims = {name: value for name, value in claims.items() if value is not None}
    return jwt.encode(claims, key, algorithm="HS256")


@pytest_asyncio.fixture(loop_scope="session")
async def jwt_gateway(start_gateway: StartGateway) -> RunningServer:
    return await start_gateway(jwt_key=KEY, jwt_issuer=ISSUER, jwt_audience=AUDIENCE, jwt_leeway_s=0)


async def test_a_valid_token_carries_its_role_and_tenant_to_the_service(jwt_gateway: RunningServer) -> None:
    async with httpx.AsyncClient(base_url=jwt_gateway.base_url) as client:
        response = await client.get("/api/v1/billing/invoices", headers={"Authorization": f"Bearer {token()}"})
        refused = await client.post("/api/v1/billing/invoices", headers={"Authorization": f"Bearer {token()}"})
    assert response.status_code == 200
    assert response.json()["caller"] == {"role": "reseller", "subject": "portal-user-9", "tenant": "r-9"}
    assert refused.status_code == 403


def _alg_none() -> str:
    return jwt.encode({"iss": ISSUER, "aud": AUDIENCE, "sub": "x", "role": "admin", "exp": 2**40}, None, "none")  # type: ignore[arg-type]


# Each bad token is made when its test runs, not when the module is collected: a token made at collection expires
# five minutes later, and a long suite reaches these tests after that (the refusal then says "expired").
@pytest.mark.parametrize(
    ("make_bad", "reason"),
    [
        (lambda: token(iss="https://evil.example/"), "issuer"),
        (lambda: token(aud="someone-else"), "audience"),
        (lambda: token(exp=int(time.time()) - 60), "expired"),
        (lambda: token(key="another-key-another-key-another-key!!"), "Signature"),
        (lambda: token(role="superuser"), "role"),
        (lambda: token(tenant=None), "tenant"),
        (lambda: token(exp=None), "exp"),
        (_alg_none, "alg"),
    ],
    ids=["issuer", "audience", "expired", "signature", "role", "reseller-without-tenant", "no-expiry", "alg-none"],
)
async def test_a_bad_token_is_refused_with_problem_json(
    jwt_gateway: RunningServer, make_bad: Callable[[], str], reason: str
) -> None:
    async with httpx.AsyncClient(base_url=jwt_gateway.base_url) as client:
        response = await client.get("/api/v1/catalog/products", headers={"Authorization": f"Bearer {make_bad()}"})
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert reason.lower() in response.json()["detail"].lower()


async def test_tokens_are_refused_where_jwt_is_not_configured(gateway: RunningServer) -> None:
    async with httpx.AsyncClient(base_url=gateway.base_url) as client:
        response = await client.get("/api/v1/catalog/products", headers={"Authorization": f"Bearer {token()}"})
    assert response.status_code == 401
    assert "JWT is not configured" in response.json()["detail"]


def _rsa_pair() -> tuple[str, str]:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public_pem = (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private_pem, public_pem


def rs256(private_pem: str, **overrides: Any) -> str:
    claims = jwt.decode(token(), options={"verify_signature": False})
    claims.update(overrides)
    return jwt.encode(claims, private_pem, algorithm="RS256")


async def test_an_identity_providers_rs256_token_is_checked_against_its_public_key(
    start_gateway: StartGateway,
) -> None:
    private_pem, public_pem = _rsa_pair()
    other_private, _ = _rsa_pair()
    server = await start_gateway(
        jwt_key=public_pem, jwt_algorithms=["RS256"], jwt_issuer=ISSUER, jwt_audience=AUDIENCE, jwt_leeway_s=0
    )
    async with httpx.AsyncClient(base_url=server.base_url) as client:
        good = await client.get("/api/v1/billing/invoices", headers={"Authorization": f"Bearer {rs256(private_pem)}"})
        forged = await client.get(
            "/api/v1/billing/invoices", headers={"Authorization": f"Bearer {rs256(other_private)}"}
        )
        # An HS256 token: refused, so a public key can never be abused as an HMAC secret (key confusion).
        hmac = await client.get("/api/v1/billing/invoices", headers={"Authorization": f"Bearer {token()}"})
    assert good.status_code == 200
    assert good.json()["caller"] == {"role": "reseller", "subject": "portal-user-9", "tenant": "r-9"}
    assert forged.status_code == 401
    assert "signature" in forged.json()["detail"].lower()
    assert hmac.status_code == 401  # an HS256 token is not accepted where only RS256 is configured
    assert "alg value is not allowed" in hmac.json()["detail"]
