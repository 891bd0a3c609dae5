"""Signed caller headers, as the gateway sends them, for tests that call a service directly.

An identity is bound to its request (service, method, path and query; see `bss.identity`), so a test cannot
make it before the call. `headers_for(caller)` names the caller; the client, made with
`auth=GatewayIdentity("<service>")`, signs it for each request as the gateway would. Without that auth a
service refuses the headers (401), so a forgotten `auth=` shows at once.
"""

from __future__ import annotations

import time
from collections.abc import Generator

import httpx

from bss.identity import (
    IDENTITY_HEADER,
    SIGNATURE_HEADER,
    Caller,
    Role,
    encode_caller,
    encode_identity,
    request_identity_headers,
)
from bss.settings import DEV_IDENTITY_SECRET

ADMIN = Caller(Role.ADMIN, "admin@distributor")
SUPPORT_AGENT = Caller(Role.SUPPORT_AGENT, "agent@distributor")
STOREFRONT = Caller(Role.STOREFRONT, "storefront")
SYSTEM = Caller(Role.SYSTEM, "usage-collector")
# The signature header's value until `GatewayIdentity` signs the request.
UNSIGNED = "to-be-signed-for-the-request"


def reseller(tenant_id: str) -> Caller:
    return Caller(Role.RESELLER, f"key-of-{tenant_id}", tenant_id=tenant_id)


def headers_for(caller: Caller) -> dict[str, str]:
    """Headers naming `caller`, which a client with `auth=GatewayIdentity(service)` signs for each request."""
    return {IDENTITY_HEADER: encode_caller(caller).decode(), SIGNATURE_HEADER: UNSIGNED}


def signed_headers(
    caller: Caller, *, audience: str, method: str, target: str, secret: str = DEV_IDENTITY_SECRET
) -> dict[str, str]:
    """The identity headers the gateway would send to `audience` for `method target`, signed now."""
    value, signature = encode_identity(
        caller, secret.encode(), audience=audience, method=method, target=target.encode(), now=time.time()
    )
    return {IDENTITY_HEADER: value, SIGNATURE_HEADER: signature}


class GatewayIdentity(httpx.Auth):
    """Plays the gateway for a test client: signs `headers_for(...)` for `audience` and each request."""

    def __init__(self, audience: str, secret: str = DEV_IDENTITY_SECRET) -> None:
        self.audience = audience
        self.secret = secret.encode()

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if request.headers.get(SIGNATURE_HEADER) == UNSIGNED:
            caller = request.headers[IDENTITY_HEADER].encode()
            target = request.url.raw_path  # path and query, as on the request line
            request.headers.update(
                request_identity_headers(
                    caller, self.secret, audience=self.audience, method=request.method, target=target
                )
            )
        yield request
