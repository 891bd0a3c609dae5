"""The caller identity the gateway would add, for benchmarks that call a service directly.

Identities are bound to their request (service, method, path and query) and live 30 s (`bss.identity`), so
a benchmark cannot sign one up front: `SignedCaller` signs each request as it leaves (`auth=` on the client
or on one request).
"""

from __future__ import annotations

from collections.abc import Generator

import httpx

from bss.identity import Caller, encode_caller, request_identity_headers
from bss.settings import DEV_IDENTITY_SECRET


class SignedCaller(httpx.Auth):
    """Signs every request as `caller` for the service named `audience` (`catalog`, `billing`, ...)."""

    def __init__(self, caller: Caller, audience: str, secret: str = DEV_IDENTITY_SECRET) -> None:
        self.claims = encode_caller(caller)
        self.audience = audience
        self.secret = secret.encode()

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers.update(
            request_identity_headers(
                self.claims, self.secret, audience=self.audience, method=request.method, target=request.url.raw_path
            )
        )
        yield request
