"""Bad configuration ends with one clear line and exit code 2, never a traceback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bss.embedded_broker import free_port

ROOT = Path(__file__).resolve().parents[3]
UNREACHABLE_DB = "postgresql+asyncpg://postgres@127.0.0.1:1/nowhere"


def run(args: list[str], env: dict[str, str], tmp_path: Path, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("BSS_", "CATALOG_", "GATEWAY_", "CALF_"))}
    return subprocess.run(
        [sys.executable, *args],
        cwd=tmp_path,
        env={**clean, "PYTHONPATH": str(ROOT), **env},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def assert_clean_failure(result: subprocess.CompletedProcess[str], *phrases: str) -> None:
    output = result.stdout + result.stderr
    assert result.returncode == 2, output
    assert "Traceback" not in output, output
    for phrase in phrases:
        assert phrase in output, output


@pytest.fixture
def taken_port() -> Iterator[int]:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield int(sock.getsockname()[1])


def test_unreachable_database_url_stops_the_service_with_a_clear_message(tmp_path: Path) -> None:
    result = run(
        ["-m", "catalog"], {"CATALOG_DATABASE_URL": UNREACHABLE_DB, "CATALOG_PORT": str(free_port())}, tmp_path
    )
    assert_clean_failure(result, "cannot reach the database", "CATALOG_DATABASE_URL")


def test_unreachable_database_url_stops_migrate_with_a_clear_message(tmp_path: Path) -> None:
    result = run(["-m", "billing", "migrate"], {"BILLING_DATABASE_URL": UNREACHABLE_DB}, tmp_path)
    assert_clean_failure(result, "cannot reach the database", "BILLING_DATABASE_URL")


def test_port_already_taken_stops_the_service_with_a_clear_message(tmp_path: Path, taken_port: int) -> None:
    result = run(["-m", "catalog"], {"CATALOG_PORT": str(taken_port)}, tmp_path)
    assert_clean_failure(result, f"port {taken_port} is already taken", "CATALOG_PORT")


def test_port_already_taken_stops_the_gateway_with_a_clear_message(tmp_path: Path, taken_port: int) -> None:
    result = run(["-m", "gateway"], {"GATEWAY_PORT": str(taken_port)}, tmp_path)
    assert_clean_failure(result, f"port {taken_port} is already taken", "GATEWAY_PORT")


def test_malformed_setting_is_named(tmp_path: Path) -> None:
    result = run(["-m", "catalog"], {"CATALOG_PORT": "eighty"}, tmp_path)
    assert_clean_failure(result, "invalid setting", "port")


def test_production_refuses_the_embedded_identity_secret(tmp_path: Path) -> None:
    result = run(
        ["-m", "catalog"],
        {"BSS_ENVIRONMENT": "production", "CATALOG_DATABASE_URL": "postgresql+asyncpg://postgres@127.0.0.1/x"},
        tmp_path,
    )
    assert_clean_failure(result, "identity_secret is the embedded default", "BSS_IDENTITY_SECRET")


def test_missing_broker_binary_stops_the_runner_with_a_clear_message(tmp_path: Path) -> None:
    ports = {f"{p}_PORT": str(free_port()) for p in ("CATALOG", "SUBSCRIPTIONS", "BILLING", "SUPPORT", "GATEWAY")}
    result = run(
        ["-m", "deploy.local.run"],
        {"CALF_TANSU_BIN": str(tmp_path / "no-such-tansu"), "BSS_BROKER_PORT": str(free_port()), **ports},
        tmp_path,
    )
    assert_clean_failure(result, "embedded broker binary is missing", "make install")


def test_runner_refuses_a_taken_service_port(tmp_path: Path, taken_port: int) -> None:
    result = run(["-m", "deploy.local.run"], {"BILLING_PORT": str(taken_port)}, tmp_path)
    assert_clean_failure(result, f"port {taken_port} for billing is already taken", "BILLING_PORT")
