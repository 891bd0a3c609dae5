"""Settings of the catalog service: environment variables `CATALOG_*`, then suite-wide `BSS_*`."""

from __future__ import annotations

from functools import lru_cache
from typing import ClassVar

from pydantic_settings import SettingsConfigDict

from bss.settings import ServiceSettings


class CatalogSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CATALOG_", extra="ignore", validate_default=True)

    service_name: ClassVar[str] = "catalog"
    default_port: ClassVar[int] = 8001


@lru_cache
def get_settings() -> CatalogSettings:
    return CatalogSettings()
