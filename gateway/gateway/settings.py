"""Gateway settings: `GATEWAY_*`, then suite-wide `BSS_*`."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from bss.gc_tuning import CollectorSettings
from bss.settings import DEV_IDENTITY_SECRET, MIN_SECRET_LENGTH, VAR_DIR, ConfigurationError
from gateway.connection_limits import ConnectionLimits

SERVICES = ("catalog", "subscriptions", "billing", "support")
# The name each service knows itself by (its settings' `service_name`): the audience of the identities it accepts.
SERVICE_NAMES = {"catalog": "catalog", "subscriptions": "subscriptions", "billing": "billing", "support": "support-sla"}
# The documented development admin key of the embedded default (README); production refuses it.
DEV_BOOTSTRAP_ADMIN_KEY = "bss-dev-admin-key-embedded-only-change-me"


HMAC_ALGORITHMS = frozenset({"HS256", "HS384", "HS512"})
PUBLIC_KEY_ALGORITHMS = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)
_LIMITS = ConnectionLimits()


class GatewaySettings(BaseSettings, CollectorSettings):
    model_config = SettingsConfigDict(env_prefix="GATEWAY_", extra="ignore", validate_default=True)

    environment: Literal["embedded", "production"] = "embedded"
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    catalog_url: str = "http://127.0.0.1:8001"
    subscriptions_url: str = "http://127.0.0.1:8002"
    billing_url: str = "http://127.0.0.1:8003"
    support_url: str = "http://127.0.0.1:8004"
    identity_secret: SecretStr = SecretStr(DEV_IDENTITY_SECRET)
    upstream_timeout_s: float = Field(default=30.0, gt=0)
    upstream_connections: int = Field(default=256, ge=1)
    upstream_idle_s: float = Field(
        default=4.0, gt=0, description="Idle upstream connections are closed after this (below uvicorn's 5 s)"
    )
    max_body_bytes: int = Field(default=16 * 1024 * 1024, ge=1024)
    openapi_cache_s: float = Field(default=30.0, ge=0)
    log_level: str = "INFO"
    log_json: bool = True
    access_log: bool = True
    check_key_tenants: bool = Field(
        default=True,
        description="Refuse a reseller key whose tenant subscriptions does not know (422), or cannot say (503). "
        "Off only where keys are made before their resellers exist.",
    )
    forwarded_allow_ips: str = Field(
        default="",
        description="Proxies (IPs, CIDRs, or *) whose X-Forwarded-For names the client; empty = use the socket peer",
    )

    # What one client connection may send, and how slowly (gateway.server.GatewayHttpProtocol enforces them).
    max_request_head_bytes: int = Field(default=_LIMITS.max_head_bytes, ge=1024)
    """`GATEWAY_MAX_REQUEST_HEAD_BYTES` (16384): the request line and headers together, in bytes. A larger head is
    answered 431 Request Header Fields Too Large and the connection closed, as soon as the limit is passed: the
    gateway never buffers more than this of a head."""
    max_request_headers: int = Field(default=_LIMITS.max_headers, ge=10)
    """`GATEWAY_MAX_REQUEST_HEADERS` (100): header fields in one request; more is answered 431 and the connection
    closed."""
    max_url_bytes: int = Field(default=_LIMITS.max_url_bytes, ge=256)
    """`GATEWAY_MAX_URL_BYTES` (8192): the request target (path and query) in bytes; longer is answered 414 URI Too
    Long and the connection closed. Keep it below `max_request_head_bytes`, else a long target gets 431."""
    request_head_timeout_s: float = Field(default=_LIMITS.head_timeout_s, gt=0)
    """`GATEWAY_REQUEST_HEAD_TIMEOUT_S` (10): the time a request head has to arrive whole, counted from the connection
    for the first request and from the head's first byte for later ones. A client that sends part of a head and
    stalls (or drips it) is answered 408 Request Timeout and disconnected; one that sends nothing is disconnected."""
    keep_alive_timeout_s: float = Field(default=_LIMITS.idle_timeout_s, gt=0)
    """`GATEWAY_KEEP_ALIVE_TIMEOUT_S` (5): a keep-alive connection idle this long after an answer is closed
    (uvicorn's `timeout_keep_alive`)."""

    # The gateway's own database: API keys.
    database_url: str = Field(default="", description="SQLAlchemy async URL; empty = SQLite var/gateway.db")
    migrations_dir: Path | None = None
    migrate_on_start: bool | None = Field(default=None, description="default: on in the embedded run")
    bootstrap_admin_key: SecretStr | None = Field(
        default=None, description="An admin API key accepted without a database row, so a fresh install can start"
    )
    key_cache_ttl_s: float = Field(
        default=5.0, ge=0, description="Authenticated API keys are cached this long: revocation takes effect within it"
    )

    # JWT bearer tokens (disabled while jwt_key is empty): an HMAC secret for HS256/384/512, or the identity
    # provider's PEM public key for RS*/PS*/ES*/EdDSA. One family only: mixing them invites key confusion.
    jwt_key: SecretStr = SecretStr("")
    jwt_algorithms: list[str] = Field(default_factory=lambda: ["HS256"], min_length=1)
    jwt_issuer: str = "https://auth.bss.example/"
    jwt_audience: str = "bss-gateway"
    jwt_leeway_s: float = Field(default=30.0, ge=0)

    # Rate limits per key (token bucket); in Redis when redis_url is set, else in this process.
    rate_limit_per_s: float = Field(default=100.0, gt=0)
    rate_limit_burst: int = Field(default=200, ge=1)
    anonymous_rate_limit_per_s: float = Field(default=20.0, gt=0, description="storefront reads without a key, per IP")
    anonymous_rate_limit_burst: int = Field(default=40, ge=1)
    redis_url: str = ""

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
    def _derive_and_check(self) -> GatewaySettings:
        embedded = self.environment == "embedded"
        if not self.database_url:
            self.database_url = f"sqlite+aiosqlite:///{VAR_DIR / 'gateway.db'}"
        if self.migrate_on_start is None:
            self.migrate_on_start = embedded
        if self.bootstrap_admin_key is None and embedded:
            self.bootstrap_admin_key = SecretStr(DEV_BOOTSTRAP_ADMIN_KEY)
        self._check_jwt()
        if not embedded:
            self._check_production()
        return self

    def _check_jwt(self) -> None:
        unknown = [name for name in self.jwt_algorithms if name not in HMAC_ALGORITHMS | PUBLIC_KEY_ALGORITHMS]
        if unknown:
            raise ConfigurationError(f"gateway: jwt_algorithms: unknown {unknown}; use HS*, RS*, PS*, ES* or EdDSA")
        hmac = {name in HMAC_ALGORITHMS for name in self.jwt_algorithms}
        if len(hmac) > 1:
            raise ConfigurationError("gateway: jwt_algorithms mixes HMAC and public-key algorithms; choose one family")
        key = self.jwt_key.get_secret_value()
        if key and hmac == {False} and "-----BEGIN PUBLIC KEY-----" not in key:
            raise ConfigurationError("gateway: jwt_key must be a PEM public key for public-key jwt_algorithms")
        if key and hmac == {True} and len(key) < MIN_SECRET_LENGTH:
            raise ConfigurationError(
                f"gateway: jwt_key, an HMAC secret, is shorter than {MIN_SECRET_LENGTH} characters"
            )

    def _check_production(self) -> None:
        problems: list[str] = []
        secret = self.identity_secret.get_secret_value()
        if secret == DEV_IDENTITY_SECRET:
            problems.append("identity_secret is the embedded default; set BSS_IDENTITY_SECRET")
        elif len(secret) < MIN_SECRET_LENGTH:
            problems.append(f"identity_secret is shorter than {MIN_SECRET_LENGTH} characters")
        bootstrap = self.bootstrap_admin_key.get_secret_value() if self.bootstrap_admin_key else ""
        if bootstrap == DEV_BOOTSTRAP_ADMIN_KEY:
            problems.append("bootstrap_admin_key is the documented development key; set another or none")
        elif bootstrap and len(bootstrap) < MIN_SECRET_LENGTH:
            problems.append(f"bootstrap_admin_key is shorter than {MIN_SECRET_LENGTH} characters")
        if self.database_url.startswith("sqlite"):
            problems.append("database_url is SQLite; set GATEWAY_DATABASE_URL to a PostgreSQL URL")
        if problems:
            raise ConfigurationError("gateway: " + "; ".join(problems))

    def connection_limits(self) -> ConnectionLimits:
        return ConnectionLimits(
            max_head_bytes=self.max_request_head_bytes,
            max_headers=self.max_request_headers,
            max_url_bytes=self.max_url_bytes,
            head_timeout_s=self.request_head_timeout_s,
            idle_timeout_s=self.keep_alive_timeout_s,
        )

    def upstreams(self) -> dict[str, str]:
        """Service name -> base URL."""
        return {name: getattr(self, f"{name}_url").rstrip("/") for name in SERVICES}


@lru_cache
def get_settings() -> GatewaySettings:
    return GatewaySettings()
