"""Through the gateway only: a distributor's book (resellers, paid subscriptions, tickets) imported from the CSV
files of `deploy/import_book` (docs/import-format.md; docs/domain.md "Importing an existing book").

A sample book billed elsewhere through the month before last: a dry run answers every line and writes nothing; the
import creates every line; a second import (the command itself, in a process of its own) changes nothing; then
closing last month invoices each imported subscription exactly once, for last month only, and closing it again
invoices nothing.
"""

from __future__ import annotations

import asyncio
import io
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio

from bss.calendar_months import period_containing, previous_period
from deploy.demo.billing_waits import wait_known
from deploy.demo.gateway_calls import poll
from deploy.import_book.book_files import Book, read_book
from deploy.import_book.gateway_client import Gateway
from deploy.import_book.importer import Options, import_book
from deploy.import_book.outcome import KINDS, Outcome
from deploy.import_book.samples import SampleOptions, generate, write_book
from tests.e2e.conftest import ADMIN_KEY, Suite

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.broker]

TODAY = datetime.now(UTC).date()
LAST = previous_period(period_containing(TODAY))
BILLED_THROUGH = previous_period(LAST)
SAMPLE = SampleOptions(billed_through=BILLED_THROUGH, resellers=12, subscriptions=10, tickets=40, seed=7)
SOURCE = "e2e-legacy"
INVOICES = "/api/v1/billing/invoices"
LISTINGS = ("/api/v1/subscriptions/resellers", "/api/v1/subscriptions/subscriptions", "/api/v1/support/tickets")


@dataclass
class Imported:
    book: Book
    directory: Path
    counts_before: dict[str, int]
    counts_after_dry_run: dict[str, int]
    dry_run: Outcome
    first: Outcome
    again_exit_code: int
    again_output: str
    dry_run_after: Outcome


def expect(response: httpx.Response, status: int) -> Any:
    assert response.status_code == status, f"{response.request.method} {response.request.url}: {response.text}"
    return response.json()


async def listed(admin: httpx.AsyncClient, path: str) -> list[dict[str, Any]]:
    """Every item of a cursor-paginated listing."""
    found: list[dict[str, Any]] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 200} | ({"cursor": cursor} if cursor else {})
        page = expect(await admin.get(path, params=params), 200)
        found += page["items"]
        cursor = page.get("next_cursor")
        if not cursor:
            return found


async def counts(suite: Suite) -> dict[str, int]:
    async with suite.admin() as admin:
        return {path: len(await listed(admin, path)) for path in LISTINGS}


async def imported_with(suite: Suite, book: Book, *, dry_run: bool) -> Outcome:
    """The import, in this process (the suite runs in this event loop)."""
    async with suite.admin() as client:
        gateway = Gateway(client)
        await gateway.check_admin()
        outcome = Outcome(source=SOURCE, dry_run=dry_run)
        return await import_book(gateway, book, Options(SOURCE, dry_run, wait_s=45), outcome, progress=io.StringIO())


async def command(suite: Suite, directory: Path) -> tuple[int, str]:
    """`python -m deploy.import_book DIR` against the suite, in a process of its own."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "deploy.import_book",
        str(directory),
        "--gateway-url",
        suite.gateway.base_url,
        "--admin-key",
        ADMIN_KEY,
        "--source",
        SOURCE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    output, progress = await asyncio.wait_for(process.communicate(), timeout=120)
    assert "tickets  [" in progress.decode()  # the progress bars go to stderr, the summary to stdout
    return int(process.returncode or 0), output.decode()


async def seeded_catalog(suite: Suite) -> None:
    async with suite.admin() as admin:
        expect(await admin.post("/api/v1/catalog/admin/services-definition/sync", json={}), 200)

        async def tiers() -> bool:
            answer = await admin.get("/api/v1/subscriptions/catalog/products", params={"as_of": TODAY.isoformat()})
            return len(expect(answer, 200)) >= 9

        await poll(tiers, "subscriptions to learn the contract tiers")


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def imported(suite: Suite, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Imported]:
    directory = tmp_path_factory.mktemp("book")
    write_book(generate(SAMPLE), directory)
    book = read_book(directory, datetime.now(UTC))
    await seeded_catalog(suite)
    before = await counts(suite)
    dry_run = await imported_with(suite, book, dry_run=True)
    after_dry_run = await counts(suite)
    first = await imported_with(suite, book, dry_run=False)
    again_exit_code, again_output = await command(suite, directory)
    dry_run_after = await imported_with(suite, book, dry_run=True)
    yield Imported(book, directory, before, after_dry_run, dry_run, first, again_exit_code, again_output, dry_run_after)


def statuses(outcome: Outcome) -> dict[str, dict[str, int]]:
    return {kind: {str(status): n for status, n in outcome.counts(kind).items()} for kind in KINDS}


async def test_a_dry_run_answers_every_line_and_writes_nothing(imported: Imported) -> None:
    assert imported.counts_after_dry_run == imported.counts_before
    assert statuses(imported.dry_run) == {
        "reseller": {"created": SAMPLE.resellers},
        "subscription": {"created": SAMPLE.subscriptions},
        # the resellers are new: a dry run creates nothing, so support cannot check their tickets (not a failure)
        "ticket": {"not_sent": SAMPLE.tickets},
    }
    assert imported.dry_run.exit_code == 0


async def test_the_import_creates_every_line_and_a_second_import_changes_nothing(
    suite: Suite, imported: Imported
) -> None:
    assert statuses(imported.first) == {
        "reseller": {"created": SAMPLE.resellers},
        "subscription": {"created": SAMPLE.subscriptions},
        "ticket": {"created": SAMPLE.tickets},
    }
    assert imported.first.exit_code == 0
    grown = {
        path: imported.counts_before[path] + n
        for path, n in zip(LISTINGS, (SAMPLE.resellers, SAMPLE.subscriptions, SAMPLE.tickets), strict=True)
    }
    assert await counts(suite) == grown
    assert imported.again_exit_code == 0, imported.again_output
    assert "Done: nothing was refused." in imported.again_output
    rows = [line.split() for line in imported.again_output.splitlines()]
    kinds = (["resellers"], ["subscriptions"], ["tickets"])
    [resellers, subscriptions, tickets] = [row for row in rows if row[:1] in kinds]
    # kind, created, changed, unchanged, conflict, refused, not sent
    assert resellers == ["resellers", "0", "0", "12", "0", "0", "-"]
    assert subscriptions == ["subscriptions", "0", "0", "10", "0", "0", "-"]
    assert tickets == ["tickets", "0", "-", "40", "0", "0", "0"]
    # A dry run now checks the tickets too: their resellers exist.
    assert statuses(imported.dry_run_after) == {
        "reseller": {"unchanged": SAMPLE.resellers},
        "subscription": {"unchanged": SAMPLE.subscriptions},
        "ticket": {"unchanged": SAMPLE.tickets},
    }


async def test_billing_invoices_each_imported_subscription_from_the_month_after_billed_through(
    suite: Suite, imported: Imported
) -> None:
    subscriptions = sorted(line.id or "" for line in imported.first.lines if line.kind == "subscription")
    ids = {line.source_id: line.id or "" for line in imported.first.lines if line.kind == "reseller"}
    holders = sorted(ids[line.reseller_source_id or ""] for line in imported.book.subscriptions)
    async with suite.admin() as admin:
        for reseller_id in holders:
            await wait_known(admin, reseller_id, LAST, f"the subscription of reseller {reseller_id}")
        closed = expect(await admin.post("/api/v1/billing/month-closes", json={"period": LAST.isoformat()}), 200)
        assert (closed["invoiced"], closed["failed"]) == (len(subscriptions), []), closed
        assert all(month["invoiced"] == 0 for month in closed["caught_up"]), closed  # billed elsewhere
        invoices = await listed(admin, INVOICES)
        assert sorted(i["subscription_id"] for i in invoices) == subscriptions
        assert {date.fromisoformat(i["period"]) for i in invoices} == {LAST}
        again = expect(await admin.post("/api/v1/billing/month-closes", json={"period": LAST.isoformat()}), 200)
        assert (again["invoiced"], again["failed"]) == (0, []), again
        assert len(await listed(admin, INVOICES)) == len(subscriptions)
        for subscription_id in subscriptions:
            read = expect(await admin.get(f"/api/v1/subscriptions/subscriptions/{subscription_id}"), 200)
            assert read["billed_elsewhere_through"] == BILLED_THROUGH.isoformat()
