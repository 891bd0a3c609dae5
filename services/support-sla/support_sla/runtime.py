"""`SupportRuntime`: the running support-sla service's parts (`bss.runtime.Runtime`), typed with its settings."""

from __future__ import annotations

from typing import TypeAlias

from bss.runtime import Runtime
from support_sla.settings import SupportSLASettings

SupportRuntime: TypeAlias = Runtime[SupportSLASettings]
