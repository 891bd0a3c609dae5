"""`SupportRuntime`: the running support-sla service's parts (`bss.runtime.Runtime`), typed with its settings,
and `SupportUseCase`, the context its write use cases run with (`bss.usecase.UseCase`)."""

from __future__ import annotations

from typing import Final, TypeAlias

from bss.runtime import Runtime
from bss.usecase import UseCase
from support_sla.settings import SupportSLASettings

SupportRuntime: TypeAlias = Runtime[SupportSLASettings]
SupportUseCase: TypeAlias = UseCase[SupportSLASettings]

SLA_DUE_TIMES: Final = "sla_due_times"
"""The wake-up (`runtime.wakeup(SLA_DUE_TIMES)`) a use case sets when it changed due times (a ticket's SLA
targets or a certification's expiry), so the breach scheduler recomputes when it next has work."""
