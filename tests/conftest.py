"""Fixtures shared by every test: the embedded broker and throwaway databases."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio

from bss.embedded_broker import EmbeddedBroker, free_port
from tests.harness.databases import DatabaseFactory, backend_name


def pytest_report_header() -> str:
    return f"database backend: {backend_name()}"


@pytest.fixture(scope="session")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedBroker]:
    """The embedded Kafka-compatible broker, shared by the session (tests use their own topics/groups)."""
    log = tmp_path_factory.mktemp("broker") / "broker.log"
    instance = EmbeddedBroker(port=free_port(), log_path=log)
    instance.start()
    yield instance
    instance.stop()


@pytest.fixture
def own_broker(tmp_path: Path) -> Iterator[EmbeddedBroker]:
    """A broker for one test, which the test may stop and restart (it comes back empty)."""
    instance = EmbeddedBroker(port=free_port(), log_path=tmp_path / "broker.log")
    instance.start()
    yield instance
    instance.stop()


@pytest_asyncio.fixture(scope="session")
async def databases(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[DatabaseFactory]:
    factory = DatabaseFactory(tmp_path_factory.mktemp("db"))
    yield factory
    await factory.drop_all()
