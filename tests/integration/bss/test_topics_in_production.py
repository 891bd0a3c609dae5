"""Production never creates a topic; it refuses to run on one that is missing or weaker than declared.

The embedded broker is the production-mode counterexample at hand: it has one node, so its topics have one replica
and report no `min.insync.replicas`. Against it, production must refuse, with one clear line and exit code 2 from
the command line, while the embedded default keeps creating what is missing (ADR 0016).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from aiokafka import TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from sqlalchemy import MetaData

from bss.clock import SystemClock
from bss.embedded_broker import EmbeddedBroker, free_port
from bss.events.topics import DECLARED_TOPICS, TopicSpec
from bss.kafka import TopicsNotAsDeclared, ensure_topics, prepare_topics, verify_topics
from bss.messaging.log_marks import LogMark
from bss.messaging.relay import OutboxRelay, RelayConfig
from bss.messaging.tables import MessagingTables
from bss.settings import ConfigurationError
from tests.harness.databases import DatabaseFactory, postgres_server_url
from tests.harness.services import running, service_factory

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.broker]

ROOT = Path(__file__).resolve().parents[3]
PRODUCTION_SECRET = "p" * 40
UNREACHABLE_DB = "postgresql+asyncpg://postgres@127.0.0.1:1/nowhere"


async def topics_on(broker: EmbeddedBroker) -> set[str]:
    admin = AIOKafkaAdminClient(bootstrap_servers=broker.bootstrap_servers)
    await admin.start()
    try:
        return set(await admin.list_topics())
    finally:
        await admin.close()


async def test_production_check_of_an_empty_broker_names_every_topic_missing_and_creates_none(
    own_broker: EmbeddedBroker,
) -> None:
    with pytest.raises(TopicsNotAsDeclared) as refused:
        await prepare_topics(own_broker.bootstrap_servers, create=False)
    message = str(refused.value)
    assert message.startswith("Kafka topics are not as declared (missing: bss.catalog, bss.subscriptions")
    assert all(spec.name in message for spec in DECLARED_TOPICS)
    assert not {spec.name for spec in DECLARED_TOPICS} & await topics_on(own_broker)


async def test_production_refuses_the_embedded_brokers_single_replica_topics(own_broker: EmbeddedBroker) -> None:
    await prepare_topics(own_broker.bootstrap_servers, create=True)  # the embedded default: created, one replica
    assert {spec.name for spec in DECLARED_TOPICS} <= await topics_on(own_broker)
    with pytest.raises(TopicsNotAsDeclared) as refused:
        await verify_topics(own_broker.bootstrap_servers)
    message = str(refused.value)
    assert "\n" not in message
    assert "replication factor 1, declared 3: bss.catalog, bss.subscriptions, bss.billing" in message
    assert "min.insync.replicas not reported, declared 2" in message
    assert isinstance(refused.value, ConfigurationError)


async def test_a_topic_with_fewer_partitions_than_declared_is_refused_by_name(broker: EmbeddedBroker) -> None:
    await ensure_topics(broker.bootstrap_servers, [TopicSpec("t.too-few", 2)])
    declared = TopicSpec("t.too-few", 6, replication_factor=1, min_insync_replicas=0)
    with pytest.raises(TopicsNotAsDeclared, match=r"\(2 partitions, declared 6: t\.too-few; "):
        await verify_topics(broker.bootstrap_servers, [declared])


async def test_the_relays_replay_in_production_waits_for_the_topics_instead_of_creating_them(
    own_broker: EmbeddedBroker,
) -> None:
    """The broker came back empty: the embedded relay re-creates what it lost; production's must not."""
    relay = OutboxRelay(
        config=RelayConfig(
            service="t", bootstrap_servers=own_broker.bootstrap_servers, max_backoff_s=0.01, create_topics=False
        ),
        session_factory=None,  # type: ignore[arg-type]  # never reached: the topic check comes first
        tables=MessagingTables.define(MetaData()),
        producer=None,  # type: ignore[arg-type]
        clock=SystemClock(),
        row_locking=False,
    )
    published = TopicPartition("bss.usage", 0)
    relay._marks = {published: LogMark(published, 7, "e-1")}  # where the relay published before the loss
    await relay._replay("records the broker acknowledged are gone from its log")
    assert "bss.usage" not in await topics_on(own_broker)
    assert relay._marks, "nothing is reset until the topics exist as declared"


def run_service(env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("BSS_", "CATALOG_", "CALF_"))}
    return subprocess.run(
        [sys.executable, "-m", "catalog"],
        cwd=tmp_path,
        env={**clean, "PYTHONPATH": str(ROOT), **env},
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )


async def test_a_production_service_on_single_replica_topics_stops_with_one_line_and_exit_2(
    own_broker: EmbeddedBroker, tmp_path: Path
) -> None:
    """The topic check runs before the database check, so an unreachable database URL is enough here."""
    await ensure_topics(own_broker.bootstrap_servers)
    result = await asyncio.to_thread(
        run_service,
        {
            "BSS_ENVIRONMENT": "production",
            "BSS_IDENTITY_SECRET": PRODUCTION_SECRET,
            "BSS_KAFKA_BOOTSTRAP_SERVERS": own_broker.bootstrap_servers,
            "CATALOG_DATABASE_URL": UNREACHABLE_DB,
            "CATALOG_PORT": str(free_port()),
        },
        tmp_path,
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("error: catalog: Kafka topics are not as declared (replication factor 1, declared 3: ")
    assert "python -m bss.events.topicgen" in line


async def test_a_production_service_whose_broker_does_not_answer_yet_gets_past_the_topic_check(
    tmp_path: Path,
) -> None:
    """No broker is no reason to refuse: the service checks the topics again before it produces. It stops here on
    the database instead, which shows the topic check let it through."""
    result = await asyncio.to_thread(
        run_service,
        {
            "BSS_ENVIRONMENT": "production",
            "BSS_IDENTITY_SECRET": PRODUCTION_SECRET,
            "BSS_KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{free_port()}",
            "CATALOG_DATABASE_URL": UNREACHABLE_DB,
            "CATALOG_PORT": str(free_port()),
        },
        tmp_path,
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert "cannot reach the database" in result.stderr
    assert "Kafka topics" not in result.stderr


@pytest.mark.skipif(postgres_server_url() is None, reason="production refuses SQLite: needs DATABASE_URL")
async def test_a_running_production_service_that_finds_its_topics_weaker_stops_and_says_why(
    own_broker: EmbeddedBroker, databases: DatabaseFactory
) -> None:
    """The broker answered only after the start: the check before producing refuses, asks the server to exit
    (bss.serve then exits 2 with the line), and readiness says why meanwhile."""
    await ensure_topics(own_broker.bootstrap_servers)
    create_app, settings_type = service_factory("catalog")
    settings = settings_type(
        environment="production",
        identity_secret=PRODUCTION_SECRET,
        database_url=await databases.create("catalog_production"),
        kafka_bootstrap_servers=own_broker.bootstrap_servers,
        migrate_on_start=True,
        log_json=False,
    )
    app = create_app(settings)
    exit_requested = asyncio.Event()
    app.state.request_exit = exit_requested.set
    async with running(app) as server, httpx.AsyncClient(base_url=server.base_url) as client:
        await asyncio.wait_for(exit_requested.wait(), timeout=30)
        assert app.state.fatal_error.startswith("catalog: Kafka topics are not as declared (replication factor 1")
        readiness = await client.get("/readyz")
        assert readiness.status_code == 503
        assert readiness.json()["checks"]["broker"].startswith("Kafka topics are not as declared")
