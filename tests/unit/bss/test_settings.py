"""ServiceSettings: per-service prefix, then suite-wide BSS_, then the embedded default; production is refused
with the defaults that only make sense on a laptop; nothing logged carries a password."""

from __future__ import annotations

import os
from pathlib import Path
from typing import ClassVar

import pytest
from pydantic import ValidationError
from pydantic_settings import SettingsConfigDict
from sqlalchemy.engine import make_url

from bss.settings import (
    DEV_IDENTITY_SECRET,
    EMBEDDED_BROKER,
    MIN_SECRET_LENGTH,
    ConfigurationError,
    ServiceSettings,
)

POSTGRES_URL = "postgresql+asyncpg://bss:s3cret-Pa55@db.internal:5432/demo"
REAL_SECRET = "k7Qx2vN9pL4sT8wZ1bF6hJ3mR5cY0dGe"  # 32 characters, not the embedded default


class DemoSettings(ServiceSettings):
    """A service of its own, as services/catalog/catalog/settings.py declares one."""

    model_config = SettingsConfigDict(env_prefix="DEMOSVC_", extra="ignore", validate_default=True)

    service_name: ClassVar[str] = "demosvc"
    default_port: ClassVar[int] = 8099


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No BSS_/DEMOSVC_ variable from the shell that runs the tests leaks into them."""
    for name in list(os.environ):
        if name.upper().startswith(("BSS_", "DEMOSVC_")):
            monkeypatch.delenv(name)


# --- where a value comes from -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "service_value", "suite_value", "expected"),
    [
        ("KAFKA_BOOTSTRAP_SERVERS", "kafka-demo:9092", "kafka-suite:9092", "kafka-demo:9092"),
        ("DATABASE_URL", POSTGRES_URL, "postgresql+asyncpg://suite@db/suite", POSTGRES_URL),
        ("LOG_LEVEL", "DEBUG", "WARNING", "DEBUG"),
        ("PORT", "9001", "9002", 9001),
    ],
)
def test_service_prefix_beats_suite_wide_prefix(
    monkeypatch: pytest.MonkeyPatch, field: str, service_value: str, suite_value: str, expected: object
) -> None:
    monkeypatch.setenv(f"BSS_{field}", suite_value)
    monkeypatch.setenv(f"DEMOSVC_{field}", service_value)
    assert getattr(DemoSettings(), field.lower()) == expected


@pytest.mark.parametrize(
    ("field", "suite_value", "expected"),
    [
        ("KAFKA_BOOTSTRAP_SERVERS", "kafka-suite:9092", "kafka-suite:9092"),
        ("DATABASE_URL", POSTGRES_URL, POSTGRES_URL),
        ("LOG_LEVEL", "WARNING", "WARNING"),
        ("PORT", "9002", 9002),
    ],
)
def test_suite_wide_prefix_beats_default(
    monkeypatch: pytest.MonkeyPatch, field: str, suite_value: str, expected: object
) -> None:
    monkeypatch.setenv(f"BSS_{field}", suite_value)
    assert getattr(DemoSettings(), field.lower()) == expected


def test_default_applies_when_neither_prefix_is_set() -> None:
    settings = DemoSettings()
    assert settings.kafka_bootstrap_servers == EMBEDDED_BROKER
    assert settings.log_level == "INFO"


def test_suite_wide_identity_secret_reaches_every_service(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BSS_IDENTITY_SECRET", "shared-by-the-suite")
    assert DemoSettings().identity_secret.get_secret_value() == "shared-by-the-suite"


def test_another_services_prefix_is_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CATALOG_DATABASE_URL", POSTGRES_URL)
    monkeypatch.setenv("CATALOG_PORT", "9999")
    settings = DemoSettings()
    assert settings.database_url != POSTGRES_URL
    assert settings.port == 8099


def test_an_explicit_argument_beats_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEMOSVC_LOG_LEVEL", "DEBUG")
    assert DemoSettings(log_level="ERROR").log_level == "ERROR"


def test_a_port_outside_the_tcp_range_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEMOSVC_PORT", "70000")
    with pytest.raises(ValidationError, match="port"):
        DemoSettings()


# --- embedded and production defaults ---------------------------------------------------------------------


def test_embedded_default_database_is_a_sqlite_file_under_var_named_after_the_service() -> None:
    url = make_url(DemoSettings().database_url)
    assert url.drivername == "sqlite+aiosqlite"
    assert Path(url.database or "") == Path("var") / "demosvc.db"


def test_embedded_defaults_migrate_on_start_without_idempotent_producer_on_the_default_port() -> None:
    settings = DemoSettings()
    assert settings.environment == "embedded"
    assert settings.migrate_on_start is True
    assert settings.kafka_idempotent_producer is False
    assert settings.port == 8099
    assert settings.kafka_bootstrap_servers == EMBEDDED_BROKER


def test_port_zero_means_the_service_default_port(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEMOSVC_PORT", "0")
    assert DemoSettings().port == 8099


@pytest.mark.parametrize("variable", ["DEMOSVC_ENVIRONMENT", "BSS_ENVIRONMENT"])
def test_production_defaults_to_idempotent_producer_and_no_migration_on_start(
    monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    monkeypatch.setenv(variable, "production")
    settings = DemoSettings()
    assert settings.environment == "production"
    assert settings.kafka_idempotent_producer is True
    assert settings.migrate_on_start is False


def test_explicit_setting_beats_the_environment_derived_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BSS_ENVIRONMENT", "production")
    monkeypatch.setenv("DEMOSVC_MIGRATE_ON_START", "true")
    monkeypatch.setenv("DEMOSVC_KAFKA_IDEMPOTENT_PRODUCER", "false")
    settings = DemoSettings()
    assert settings.migrate_on_start is True
    assert settings.kafka_idempotent_producer is False


def test_an_unknown_environment_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEMOSVC_ENVIRONMENT", "staging")
    with pytest.raises(ValidationError, match="environment"):
        DemoSettings()


# --- check_production_ready -------------------------------------------------------------------------------


def test_embedded_defaults_pass_the_production_check_outside_production() -> None:
    DemoSettings().check_production_ready()


def test_production_refuses_the_default_identity_secret_and_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEMOSVC_ENVIRONMENT", "production")
    monkeypatch.setenv("DEMOSVC_DATABASE_URL", POSTGRES_URL)
    settings = DemoSettings()
    assert settings.identity_secret.get_secret_value() == DEV_IDENTITY_SECRET
    with pytest.raises(ConfigurationError, match="BSS_IDENTITY_SECRET") as refused:
        settings.check_production_ready()
    assert str(refused.value).startswith("demosvc: ")
    assert "database_url" not in str(refused.value)


def test_production_refuses_a_sqlite_database_and_says_to_set_a_postgresql_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEMOSVC_ENVIRONMENT", "production")
    monkeypatch.setenv("BSS_IDENTITY_SECRET", REAL_SECRET)
    with pytest.raises(
        ConfigurationError, match="database_url is SQLite; set DEMOSVC_DATABASE_URL to a PostgreSQL URL"
    ) as refused:
        DemoSettings().check_production_ready()
    assert "identity_secret" not in str(refused.value)


def test_production_refuses_an_identity_secret_shorter_than_the_minimum(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEMOSVC_ENVIRONMENT", "production")
    monkeypatch.setenv("DEMOSVC_DATABASE_URL", POSTGRES_URL)
    monkeypatch.setenv("BSS_IDENTITY_SECRET", "x" * (MIN_SECRET_LENGTH - 1))
    with pytest.raises(ConfigurationError, match=f"identity_secret is shorter than {MIN_SECRET_LENGTH} characters"):
        DemoSettings().check_production_ready()


def test_production_refuses_an_explicit_sqlite_url_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEMOSVC_ENVIRONMENT", "production")
    monkeypatch.setenv("BSS_IDENTITY_SECRET", REAL_SECRET)
    monkeypatch.setenv("DEMOSVC_DATABASE_URL", "sqlite+aiosqlite:////srv/demo.db")
    with pytest.raises(ConfigurationError, match="database_url"):
        DemoSettings().check_production_ready()


def test_production_names_every_default_it_refuses_in_one_message(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEMOSVC_ENVIRONMENT", "production")
    with pytest.raises(ConfigurationError) as refused:
        DemoSettings().check_production_ready()
    message = str(refused.value)
    assert "BSS_IDENTITY_SECRET" in message
    assert "PostgreSQL" in message


def test_production_with_a_real_secret_and_postgresql_is_ready(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEMOSVC_ENVIRONMENT", "production")
    monkeypatch.setenv("BSS_IDENTITY_SECRET", REAL_SECRET)
    monkeypatch.setenv("DEMOSVC_DATABASE_URL", POSTGRES_URL)
    DemoSettings().check_production_ready()


# --- env_var ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("settings_class", "field", "variable"),
    [
        (DemoSettings, "database_url", "DEMOSVC_DATABASE_URL"),
        (DemoSettings, "kafka_bootstrap_servers", "DEMOSVC_KAFKA_BOOTSTRAP_SERVERS"),
        (ServiceSettings, "identity_secret", "BSS_IDENTITY_SECRET"),
    ],
)
def test_env_var_names_the_service_specific_variable(
    settings_class: type[ServiceSettings], field: str, variable: str
) -> None:
    assert settings_class.env_var(field) == variable


def test_the_variable_env_var_names_actually_sets_the_field(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(DemoSettings.env_var("database_url"), POSTGRES_URL)
    assert DemoSettings().database_url == POSTGRES_URL


# --- summary ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "password"),
    [
        (POSTGRES_URL, "s3cret-Pa55"),
        ("postgresql+asyncpg://bss:p@ss:w0rd@db.internal/demo", "p@ss:w0rd"),
        ("postgresql+asyncpg://bss:p%40ss@db.internal/demo", "p%40ss"),
    ],
)
def test_summary_never_contains_the_database_password(monkeypatch: pytest.MonkeyPatch, url: str, password: str) -> None:
    monkeypatch.setenv("DEMOSVC_DATABASE_URL", url)
    summary = DemoSettings().summary()
    assert password not in str(summary)
    assert "db.internal" in summary["database"]
    assert summary["database"].startswith("postgresql+asyncpg://bss:")


def test_summary_never_contains_a_password_given_in_the_url_query(monkeypatch: pytest.MonkeyPatch) -> None:
    # SQLAlchemy passes query parameters to asyncpg as connect arguments, so `?password=` is a working password.
    monkeypatch.setenv("DEMOSVC_DATABASE_URL", "postgresql+asyncpg://bss@db.internal:5432/demo?password=s3cret-Pa55")
    assert "s3cret-Pa55" not in str(DemoSettings().summary())


def test_summary_never_contains_the_identity_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BSS_IDENTITY_SECRET", "very-secret-identity-key")
    assert "very-secret-identity-key" not in str(DemoSettings().summary())


def test_summary_names_the_service_environment_database_broker_and_producer_mode() -> None:
    assert DemoSettings().summary() == {
        "service": "demosvc",
        "environment": "embedded",
        "database": f"sqlite+aiosqlite:///{Path('var') / 'demosvc.db'}",
        "kafka": EMBEDDED_BROKER,
        "idempotent_producer": False,
    }


def test_consumer_session_timeout_is_short_on_the_embedded_broker_and_kafka_like_in_production(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert DemoSettings().kafka_session_timeout_ms == 4000  # Tansu holds a group join for half of it
    monkeypatch.setenv("DEMOSVC_ENVIRONMENT", "production")
    assert DemoSettings().kafka_session_timeout_ms == 10_000
    monkeypatch.setenv("BSS_KAFKA_SESSION_TIMEOUT_MS", "30000")
    assert DemoSettings().kafka_session_timeout_ms == 30_000
