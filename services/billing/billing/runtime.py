"""`BillingRuntime`: the running billing service's parts (`bss.runtime.Runtime`), typed with its settings, and
`BillingUseCase`: what billing's write use cases run with (`bss.usecase.UseCase`: caller, instants, runtime)."""

from __future__ import annotations

from typing import TypeAlias

from billing.settings import BillingSettings
from bss.runtime import Runtime
from bss.usecase import UseCase

BillingRuntime: TypeAlias = Runtime[BillingSettings]
BillingUseCase: TypeAlias = UseCase[BillingSettings]
"""Billing's use-case context: built by `deps.use_case` for a request, `UseCase.system(...)` for background work."""
