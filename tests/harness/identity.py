"""Signed caller headers, as the gateway sends them, for tests that call a service directly."""

from __future__ import annotations

import time

from bss.identity import Caller, Role, encode_identity
from bss.settings import DEV_IDENTITY_SECRET

ADMIN = Caller(Role.ADMIN, "admin@distributor")
SUPPORT_AGENT = Caller(Role.SUPPORT_AGENT, "agent@distributor")
STOREFRONT = Caller(Role.STOREFRONT, "storefront")
SYSTEM = Caller(Role.SYSTEM, "usage-collector")


def reseller(tenant_id: str) -> Caller:
    return Caller(Role.RESELLER, f"key-of-{tenant_id}", tenant_id=tenant_id)


def headers_for(caller: Caller, secret: str = DEV_IDENTITY_SECRET) -> dict[str, str]:
    """The identity headers a service accepts (signed with the embedded default secret unless told)."""
    value, signature = encode_identity(caller, secret.encode(), now=time.time())
    return {"x-bss-identity": value, "x-bss-identity-signature": signature}
