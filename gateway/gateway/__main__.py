"""`python -m gateway` serves the gateway; `python -m gateway migrate` migrates its API-key database."""

from __future__ import annotations

import argparse
import asyncio
import sys

import uvicorn
from pydantic import ValidationError
from sqlalchemy import text

from bss.db import check_reachable, create_engine
from bss.embedded_broker import port_in_use
from bss.migrations import upgrade_to_head
from bss.settings import ConfigurationError
from gateway.main import MIGRATIONS_DIR, create_app
from gateway.server import gateway_protocol
from gateway.settings import GatewaySettings, get_settings

# Any fixed number: replicas (init containers) starting together take turns at the migration.
_MIGRATION_LOCK = 8_080_001


async def migrate(settings: GatewaySettings) -> None:
    """Apply the gateway's migrations; on PostgreSQL under an advisory lock, so concurrent replicas take turns."""
    engine = create_engine(settings.database_url)
    try:
        await check_reachable(engine, "gateway", "GATEWAY_DATABASE_URL")
        if engine.dialect.name != "postgresql":
            await upgrade_to_head(engine, settings.migrations_dir or MIGRATIONS_DIR)
            return
        async with engine.connect() as lock:
            await lock.execute(text("SELECT pg_advisory_lock(:key)"), {"key": _MIGRATION_LOCK})
            try:
                await upgrade_to_head(engine, settings.migrations_dir or MIGRATIONS_DIR)
            finally:
                await lock.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": _MIGRATION_LOCK})
    finally:
        await engine.dispose()


async def _check_database(settings: GatewaySettings) -> None:
    engine = create_engine(settings.database_url)
    try:
        await check_reachable(engine, "gateway", "GATEWAY_DATABASE_URL")
    finally:
        await engine.dispose()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m gateway", description="The API gateway of the BSS suite")
    parser.add_argument("command", nargs="?", default="serve", choices=["serve", "migrate"])
    args = parser.parse_args(argv)
    try:
        settings = get_settings()
        if args.command == "migrate":
            asyncio.run(migrate(settings))
            print("gateway: database is at the latest migration")
            return
    except ConfigurationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
    except ValidationError as exc:
        print(f"error: gateway: invalid setting: {exc}", file=sys.stderr)
        sys.exit(2)
    _serve(settings)


def _serve(settings: GatewaySettings) -> None:
    if port_in_use("127.0.0.1" if settings.host == "0.0.0.0" else settings.host, settings.port):
        print(f"error: gateway: port {settings.port} is already taken; set GATEWAY_PORT", file=sys.stderr)
        sys.exit(2)
    try:
        app = create_app(settings)
        asyncio.run(_check_database(settings))
    except ConfigurationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
    except ValueError as exc:
        print(f"error: gateway: {exc}", file=sys.stderr)
        sys.exit(2)
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        server_header=False,
        date_header=False,
        lifespan="on",
        http=gateway_protocol(settings.connection_limits()),  # sets the head limits and keep-alive timeout
        proxy_headers=bool(settings.forwarded_allow_ips),
        forwarded_allow_ips=settings.forwarded_allow_ips or None,
    )
    settings.tune_garbage_collector()
    server = uvicorn.Server(config)
    server.run()
    if not server.started:
        sys.exit(2)


if __name__ == "__main__":
    main()
