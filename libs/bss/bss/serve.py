"""The command line of every service: `python -m <service>` serves, `python -m <service> migrate` migrates,
`python -m <service> wait-for-schema` waits until the database is migrated to the code's head (an init container's
job while the migration Job runs).

Bad configuration ends with one clear line on stderr and exit code 2, never a traceback:
an unreachable database, a port already taken, a production start with embedded defaults, or (in production)
Kafka topics that are missing or weaker than declared.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Callable
from pathlib import Path

import uvicorn
from fastapi import FastAPI

from bss.db import check_reachable, create_engine
from bss.embedded_broker import port_in_use
from bss.kafka import KafkaError, verify_topics
from bss.migrations import SchemaRevision, database_schema, upgrade_to_head
from bss.settings import ConfigurationError, ServiceSettings

EXIT_CONFIGURATION = 2
TOPIC_CHECK_TIMEOUT_S = 10.0
SCHEMA_POLL_INTERVAL_S = 2.0


def main(
    *,
    name: str,
    create_app: Callable[[], FastAPI],
    get_settings: Callable[[], ServiceSettings],
    default_migrations_dir: Path,
    argv: list[str] | None = None,
) -> None:
    parser = argparse.ArgumentParser(prog=f"python -m {name}", description=f"The {name} service of the BSS suite")
    parser.add_argument("command", nargs="?", default="serve", choices=["serve", "migrate", "wait-for-schema"])
    parser.add_argument(
        "--timeout", type=float, default=900.0, help="wait-for-schema: give up after this many seconds (exit 2)"
    )
    args = parser.parse_args(argv)
    try:
        settings = get_settings()
        settings.check_production_ready()
        migrations_dir = settings.migrations_dir or default_migrations_dir
        if args.command == "migrate":
            asyncio.run(_migrate(name, settings, migrations_dir))
            print(f"{name}: database is at the latest migration")
            return
        if args.command == "wait-for-schema":
            revision = asyncio.run(_wait_for_schema(name, settings, migrations_dir, args.timeout))
            print(f"{name}: database schema is {revision.state} ({', '.join(revision.current)})")
            return
        _preflight(name, settings)
    except ConfigurationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(EXIT_CONFIGURATION)
    except ValueError as exc:  # pydantic's ValidationError for a malformed setting
        print(f"error: {name}: invalid setting: {exc}", file=sys.stderr)
        sys.exit(EXIT_CONFIGURATION)
    app = create_app()
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        server_header=False,
        date_header=False,
        lifespan="on",
    )
    settings.tune_garbage_collector()
    server = uvicorn.Server(config)
    app.state.request_exit = lambda: setattr(server, "should_exit", True)  # a refusal found after the start
    server.run()
    fatal = getattr(app.state, "fatal_error", None)
    if fatal is not None:
        print(f"error: {fatal}", file=sys.stderr)
        sys.exit(EXIT_CONFIGURATION)
    if not server.started:
        sys.exit(EXIT_CONFIGURATION)


def _preflight(name: str, settings: ServiceSettings) -> None:
    if port_in_use(settings.host if settings.host != "0.0.0.0" else "127.0.0.1", settings.port):
        raise ConfigurationError(
            f"{name}: port {settings.port} is already taken; stop what uses it or set {settings.env_var('port')}"
        )
    if settings.environment == "production":
        asyncio.run(_check_topics(name, settings))
    asyncio.run(_check_database(name, settings))


async def _check_topics(name: str, settings: ServiceSettings) -> None:
    """Production: refuse topics that are missing or weaker than declared. A broker that does not answer yet is no
    reason to refuse (the service starts and checks again before it produces)."""
    try:
        await verify_topics(settings.kafka_bootstrap_servers, timeout_s=TOPIC_CHECK_TIMEOUT_S)
    except ConfigurationError as exc:
        raise ConfigurationError(f"{name}: {exc}") from exc
    except (KafkaError, OSError, TimeoutError):
        return


async def _check_database(name: str, settings: ServiceSettings) -> None:
    engine = create_engine(settings.database_url)
    try:
        await check_reachable(engine, name, settings.env_var("database_url"))
    finally:
        await engine.dispose()


async def _wait_for_schema(
    name: str, settings: ServiceSettings, migrations_dir: Path, timeout_s: float
) -> SchemaRevision:
    """Poll the database until its schema is not behind the code's migrations; refuse after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    engine = create_engine(settings.database_url, pool_size=1)
    try:
        while True:
            try:
                revision = await database_schema(engine, migrations_dir)
                if revision.state != "behind":
                    return revision
                waiting_for = (
                    f"the database schema is at {', '.join(revision.current) or 'no revision'}, "
                    f"this code expects {', '.join(revision.expected)}"
                )
            except Exception as exc:  # not reachable yet: the database may be starting too
                waiting_for = f"cannot read the database's schema revision ({_first_line(exc)})"
            if time.monotonic() >= deadline:
                raise ConfigurationError(
                    f"{name}: {waiting_for}; waited {timeout_s:g} s for the {name}-migrate Job (`migrate`) to run"
                )
            await asyncio.sleep(SCHEMA_POLL_INTERVAL_S)
    finally:
        await engine.dispose()


async def _migrate(name: str, settings: ServiceSettings, migrations_dir: Path) -> None:
    engine = create_engine(settings.database_url)
    try:
        await check_reachable(engine, name, settings.env_var("database_url"))
        await upgrade_to_head(engine, migrations_dir)
    finally:
        await engine.dispose()


def _first_line(exc: BaseException) -> str:
    text = str(exc)
    return text.splitlines()[0] if text else type(exc).__name__
