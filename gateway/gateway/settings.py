"""Gateway settings: `GATEWAY_*`, then suite-wide `BSS_*`."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from bss.settings import DEV_IDENTITY_SECRET, MIN_SECRET_LENGTH, ConfigurationError

SERVICES = ("catalog", "subscriptions", "billing", "support")


class GatewaySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GATEWAY_", extra="ignore")

    environment: str = "embedded"
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    catalog_url: str = "http://127.0.0.1:8001"
    subscriptions_url: str = "http://127.0.0.1:8002"
    billing_url: str = "http://127.0.0.1:8003"
    support_url: str = "http://127.0.0.1:8004"
    identity_secret: SecretStr = SecretStr(DEV_IDENTITY_SECRET)
    upstream_timeout_s: float = Field(default=30.0, gt=0)
    upstream_connections: int = Field(default=256, ge=1)
    max_body_bytes: int = Field(default=16 * 1024 * 1024, ge=1024)
    openapi_cache_s: float = Field(default=30.0, ge=0)
    log_level: str = "INFO"
    log_json: bool = True

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, EnvSettingsSource(settings_cls, env_prefix="BSS_"), file_secret_settings)

    @model_validator(mode="after")
    def _production_ready(self) -> GatewaySettings:
        secret = self.identity_secret.get_secret_value()
        if self.environment == "production" and secret == DEV_IDENTITY_SECRET:
            raise ConfigurationError("gateway: identity_secret is the embedded default; set BSS_IDENTITY_SECRET")
        if self.environment == "production" and len(secret) < MIN_SECRET_LENGTH:
            raise ConfigurationError(f"gateway: identity_secret is shorter than {MIN_SECRET_LENGTH} characters")
        return self

    def upstreams(self) -> dict[str, str]:
        """Service name -> base URL."""
        return {name: getattr(self, f"{name}_url").rstrip("/") for name in SERVICES}


@lru_cache
def get_settings() -> GatewaySettings:
    return GatewaySettings()
