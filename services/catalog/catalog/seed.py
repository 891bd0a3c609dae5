"""`python -m catalog.seed [--known-on YYYY-MM-DD]`: run the services-definition sync once and exit.

It opens the catalog's database from its settings (`CATALOG_DATABASE_URL`), migrates it when the settings say
so, runs the same use case as the admin endpoint in one transaction (state and outbox events together), and
exits; the running catalog's outbox relay then publishes the events. Running it twice changes nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import date

from bss.clock import SystemClock
from bss.db import check_reachable, create_engine, session_factory
from bss.messaging.inbox import Inbox
from bss.messaging.outbox import Outbox
from bss.migrations import upgrade_to_head
from bss.settings import ConfigurationError
from bss.usecase import UseCase
from catalog.main import MIGRATIONS_DIR
from catalog.models import messaging
from catalog.runtime import CatalogRuntime
from catalog.settings import CatalogSettings, get_settings
from catalog.usecases.seed import SyncCounts, sync_definition


async def run_seed(settings: CatalogSettings, known_on: date | None) -> SyncCounts:
    settings.check_production_ready()
    engine = create_engine(settings.database_url)
    try:
        await check_reachable(engine, "catalog.seed", settings.env_var("database_url"))
        if settings.migrate_on_start:
            await upgrade_to_head(engine, settings.migrations_dir or MIGRATIONS_DIR)
        runtime = CatalogRuntime(
            settings=settings,
            engine=engine,
            sessions=session_factory(engine),
            clock=SystemClock(),
            outbox=Outbox(messaging, source="/bss/catalog"),
            inbox=Inbox(messaging),
        )
        return await sync_definition(UseCase.system(runtime, "catalog.seed"), known_on)
    finally:
        await engine.dispose()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m catalog.seed", description=__doc__.splitlines()[0] if __doc__ else None
    )
    parser.add_argument(
        "--known-on", type=date.fromisoformat, default=None, help="load the definition as known on this date"
    )
    args = parser.parse_args(argv)
    try:
        counts = asyncio.run(run_seed(get_settings(), args.known_on))
    except ConfigurationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
    print(json.dumps({"catalog_seed": counts.as_dict()}))


if __name__ == "__main__":
    main()
