"""`python -m billing.acronis_import REPORT.csv [--mapping MAPPING.json]`: import an Acronis daily usage report
from the command line, through the same use case as `POST /v1/acronis/usage-reports`
(`usecases/acronis_import.py`)."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any

from billing.adapters.usage_store import usage_store_for
from billing.models import messaging
from billing.runtime import BillingRuntime
from billing.settings import BillingSettings, get_settings
from billing.usecases.acronis_import import ImportSummary, import_report
from bss.clock import SystemClock
from bss.db import create_engine, session_factory
from bss.messaging.inbox import Inbox
from bss.messaging.outbox import Outbox
from bss.usecase import UseCase


async def _run(text: str, settings: BillingSettings, mapping: dict[str, Any] | None = None) -> ImportSummary:
    engine = create_engine(settings.database_url)
    try:
        runtime = BillingRuntime(
            settings=settings,
            engine=engine,
            sessions=session_factory(engine),
            clock=SystemClock(),
            outbox=Outbox(messaging, source="/bss/billing"),
            inbox=Inbox(messaging),
        )
        mappings = None if mapping is None else (mapping.get("tenants", []), mapping.get("offering_items", []))
        ctx = UseCase.system(runtime, "acronis_import")
        return await import_report(ctx, usage_store_for(settings.database_url), text, mappings=mappings)
    finally:
        await engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Import an Acronis daily usage report into billing.")
    parser.add_argument("report", help="The report CSV file.")
    parser.add_argument(
        "--mapping", help="A JSON mapping table to save first (see samples/acronis_mapping.json).", default=None
    )
    args = parser.parse_args(argv)
    with open(args.report, encoding="utf-8") as report:
        text = report.read()
    mapping = None
    if args.mapping:
        with open(args.mapping, encoding="utf-8") as document:
            mapping = json.load(document)
    summary = asyncio.run(_run(text, get_settings(), mapping))
    print(f"accepted {summary.accepted}, duplicate {summary.duplicate}, rejected {len(summary.rejected)}")  # noqa: T201
    for line in summary.skipped:
        print(f"skipped: {line}")  # noqa: T201
    return 0 if not summary.rejected else 1


if __name__ == "__main__":
    sys.exit(main())
