"""The caller identity the gateway would add, for benchmarks that call a service directly.

Identities are bound to their request (service, method, path and query) and live 30 s (`bss.identity`), so
a benchmark cannot sign one up front: `SignedCaller` signs each request as it leaves (`auth=` on the client
or on one request).
"""

from __future__ import annotations

import time
from collections.abc import Generator

import httpx

from bss.identity import IDENTITY_HEADER, SIGNATURE_HEADER, Caller, bind_identity, encode_caller
from bss.settings import DEV_IDENTITY_SECRET


class SignedCaller(httpx.Auth):
    """Signs every request as `caller` for the service named `audience` (`catalog`, `billing`, ...)."""

    def __init__(self, caller: Caller, audience: str, secret: str = DEV_IDENTITY_SECRET) -> None:
        self.claims = encode_caller(caller)
        self.audience = audience.encode()
        self.secret = secret.encode()

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        value, signature = bind_identity(
            self.claims,
            self.secret,
            audience=self.audience,
            method=request.method.encode(),
            target=request.url.raw_path,  # path and query, as on the request line
            issued=int(time.time()),
        )
        request.headers[IDENTITY_HEADER] = value.decode()
        request.headers[SIGNATURE_HEADER] = signature.decode()
        yield request
