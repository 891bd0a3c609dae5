"""`BillingRuntime`: the running billing service's parts (`bss.runtime.Runtime`), typed with its settings."""

from __future__ import annotations

from typing import TypeAlias

from billing.settings import BillingSettings
from bss.runtime import Runtime

BillingRuntime: TypeAlias = Runtime[BillingSettings]
