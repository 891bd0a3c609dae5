"""Settings shared by every service: one `BaseSettings` per service with its own env prefix.

A service reads `<PREFIX>_X` first (`CATALOG_DATABASE_URL`), then the suite-wide `BSS_X`
(`BSS_KAFKA_BOOTSTRAP_SERVERS`), then the embedded default. Nothing else reads `os.environ`.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from bss.gc_tuning import CollectorSettings

EMBEDDED_BROKER = "127.0.0.1:19092"
DEV_IDENTITY_SECRET = "embedded-only-identity-secret-change-me"
VAR_DIR = Path("var")
MIN_SECRET_LENGTH = 32


class ConfigurationError(Exception):
    """A setting that makes the service unable to start; the message says what to change."""


class ServiceSettings(BaseSettings, CollectorSettings):
    """What every service needs: where its database and broker are and how the outbox behaves."""

    model_config = SettingsConfigDict(env_prefix="BSS_", extra="ignore", validate_default=True)

    service_name: ClassVar[str] = "service"
    default_port: ClassVar[int] = 8000

    environment: Literal["embedded", "production"] = "embedded"
    host: str = "127.0.0.1"
    port: int = Field(default=0, ge=0, le=65535, description="0 means the service's default port")
    database_url: str = Field(default="", description="SQLAlchemy async URL; empty = SQLite file in var/")
    db_pool_size: int = Field(default=10, ge=1)
    migrations_dir: Path | None = Field(
        default=None, description="Where the Alembic migrations are; default: beside the package's source"
    )
    migrate_on_start: bool | None = Field(
        default=None, description="Apply Alembic migrations at start; default on in the embedded run"
    )
    kafka_bootstrap_servers: str = EMBEDDED_BROKER
    kafka_idempotent_producer: bool | None = Field(
        default=None,
        description="Kafka idempotent producer; default on in production, off for the embedded broker",
    )
    kafka_client_id_suffix: str = ""
    kafka_session_timeout_ms: int | None = Field(
        default=None,
        ge=1000,
        description="Consumer group session timeout; default 10 s in production, 4 s on the embedded broker "
        "(which holds a group join for half of it)",
    )
    identity_secret: SecretStr = SecretStr(DEV_IDENTITY_SECRET)
    log_level: str = "INFO"
    log_json: bool = True

    outbox_batch_size: int = Field(default=500, ge=1, le=10_000)
    outbox_poll_interval_s: float = Field(default=0.2, gt=0)
    outbox_retention_s: float = Field(
        default=3600.0, ge=0, description="Sent outbox rows are kept this long to replay to an emptied broker"
    )
    outbox_broker_check_interval_s: float = Field(default=2.0, gt=0)
    outbox_max_backoff_s: float = Field(default=5.0, gt=0)
    consumer_max_attempts: int = Field(default=3, ge=1)
    consumer_batch_size: int = Field(default=500, ge=1)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        suite_wide = EnvSettingsSource(settings_cls, env_prefix="BSS_")
        return (init_settings, env_settings, suite_wide, dotenv_settings, file_secret_settings)

    @model_validator(mode="after")
    def _derive_defaults(self) -> ServiceSettings:
        embedded = self.environment == "embedded"
        if not self.database_url:
            self.database_url = f"sqlite+aiosqlite:///{VAR_DIR / (self.service_name + '.db')}"
        if self.migrate_on_start is None:
            self.migrate_on_start = embedded
        if self.kafka_session_timeout_ms is None:
            self.kafka_session_timeout_ms = 4000 if embedded else 10_000
        if self.kafka_idempotent_producer is None:
            self.kafka_idempotent_producer = not embedded
        if self.port == 0:
            self.port = self.default_port
        return self

    @classmethod
    def env_var(cls, field: str) -> str:
        """The service-specific environment variable that sets `field` (`CATALOG_DATABASE_URL`)."""
        return f"{cls.model_config.get('env_prefix', '')}{field}".upper()

    def check_production_ready(self) -> None:
        """Refuse to run in production with the embedded defaults that only make sense on a laptop."""
        if self.environment != "production":
            return
        problems: list[str] = []
        secret = self.identity_secret.get_secret_value()
        if secret == DEV_IDENTITY_SECRET:
            problems.append("identity_secret is the embedded default; set BSS_IDENTITY_SECRET")
        elif len(secret) < MIN_SECRET_LENGTH:
            problems.append(f"identity_secret is shorter than {MIN_SECRET_LENGTH} characters; set a long random one")
        if self.database_url.startswith("sqlite"):
            problems.append(f"database_url is SQLite; set {self.env_var('database_url')} to a PostgreSQL URL")
        if problems:
            raise ConfigurationError(f"{self.service_name}: " + "; ".join(problems))

    def summary(self) -> dict[str, Any]:
        """The settings worth logging at start (no secrets)."""
        return {
            "service": self.service_name,
            "environment": self.environment,
            "database": redact_url(self.database_url),
            "kafka": self.kafka_bootstrap_servers,
            "idempotent_producer": self.kafka_idempotent_producer,
        }


def redact_url(url: str) -> str:
    """The URL without its password, wherever it is given: user info (even with an unescaped `@`) or query."""
    scheme, separator, rest = url.partition("://")
    if separator:
        authority, slash, tail = rest.partition("/")
        if "@" in authority:
            credentials, _, host = authority.rpartition("@")
            user = credentials.split(":", 1)[0]
            authority = f"{user}:***@{host}" if ":" in credentials else f"{user}@{host}"
        url = f"{scheme}://{authority}{slash}{tail}"
    return re.sub(r"(?i)([?&](?:password|passwd|pwd)=)[^&]*", r"\1***", url)
