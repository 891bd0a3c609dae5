"""The usage ledger's fingerprint as it was kept before billing migration 0013 (ADR 0010, ADR 0022): the hex
BLAKE2b-128 digest of an event's canonical fields. Tests compare today's 64-bit fingerprint and the migration
against it."""

from __future__ import annotations

import hashlib

import msgspec

from billing.adapters.usage_wire import Usage
from bss.quantities import EXACT


def legacy_fingerprint(usage: Usage) -> str:
    fields = (
        usage.reseller_id,
        usage.subscription_id,
        usage.customer_id,
        usage.sku,
        str(usage.quantity.normalize(EXACT)),
        usage.measured_at,
        usage.source,
    )
    return hashlib.blake2b(msgspec.msgpack.encode(fields), digest_size=16).hexdigest()
