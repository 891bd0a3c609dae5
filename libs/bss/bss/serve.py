"""The command line of every service: `python -m <service>` serves, `python -m <service> migrate` migrates.

Bad configuration ends with one clear line on stderr and exit code 2, never a traceback:
an unreachable database, a port already taken, a production start with embedded defaults.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable
from pathlib import Path

import uvicorn
from fastapi import FastAPI

from bss.db import check_reachable, create_engine
from bss.embedded_broker import port_in_use
from bss.migrations import upgrade_to_head
from bss.settings import ConfigurationError, ServiceSettings

EXIT_CONFIGURATION = 2


def main(
    *,
    name: str,
    create_app: Callable[[], FastAPI],
    get_settings: Callable[[], ServiceSettings],
    default_migrations_dir: Path,
    argv: list[str] | None = None,
) -> None:
    parser = argparse.ArgumentParser(prog=f"python -m {name}", description=f"The {name} service of the BSS suite")
    parser.add_argument("command", nargs="?", default="serve", choices=["serve", "migrate"])
    args = parser.parse_args(argv)
    try:
        settings = get_settings()
        settings.check_production_ready()
        if args.command == "migrate":
            asyncio.run(_migrate(name, settings, settings.migrations_dir or default_migrations_dir))
            print(f"{name}: database is at the latest migration")
            return
        _preflight(name, settings)
    except ConfigurationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(EXIT_CONFIGURATION)
    except ValueError as exc:  # pydantic's ValidationError for a malformed setting
        print(f"error: {name}: invalid setting: {exc}", file=sys.stderr)
        sys.exit(EXIT_CONFIGURATION)
    config = uvicorn.Config(
        create_app(),
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
    server.run()
    if not server.started:
        sys.exit(EXIT_CONFIGURATION)


def _preflight(name: str, settings: ServiceSettings) -> None:
    if port_in_use(settings.host if settings.host != "0.0.0.0" else "127.0.0.1", settings.port):
        raise ConfigurationError(
            f"{name}: port {settings.port} is already taken; stop what uses it or set {settings.env_var('port')}"
        )
    asyncio.run(_check_database(name, settings))


async def _check_database(name: str, settings: ServiceSettings) -> None:
    engine = create_engine(settings.database_url)
    try:
        await check_reachable(engine, name, settings.env_var("database_url"))
    finally:
        await engine.dispose()


async def _migrate(name: str, settings: ServiceSettings, migrations_dir: Path) -> None:
    engine = create_engine(settings.database_url)
    try:
        await check_reachable(engine, name, settings.env_var("database_url"))
        await upgrade_to_head(engine, migrations_dir)
    finally:
        await engine.dispose()
