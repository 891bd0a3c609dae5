"""Settings of the support-sla service: environment variables `SUPPORT_*`, then suite-wide `BSS_*`."""

from __future__ import annotations

from functools import lru_cache
from typing import ClassVar

from pydantic_settings import SettingsConfigDict

from bss.settings import ServiceSettings


class SupportSLASettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="SUPPORT_", extra="ignore", validate_default=True)

    service_name: ClassVar[str] = "support-sla"
    default_port: ClassVar[int] = 8004


@lru_cache
def get_settings() -> SupportSLASettings:
    return SupportSLASettings()
