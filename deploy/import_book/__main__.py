"""`python -m deploy.import_book DIR`: import an existing book (resellers, subscriptions, tickets) from CSV files.

Reads and checks `resellers.csv`, `subscriptions.csv`, `tickets.csv` and `ticket_history.csv` in DIR (the format:
docs/import-format.md) before sending anything, then imports them through the gateway with an admin key and prints
a summary. Importing the same book again changes nothing. Exit codes: 0 every line imported (or unchanged), 1 some
line refused, in conflict or not sent (or the suite failed part way: run it again), 2 bad input or setup (nothing
sent).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

import httpx

from deploy.import_book.book_files import SHOWN_PROBLEMS, Book, BookInvalid, read_book
from deploy.import_book.cells import CellError, source_name
from deploy.import_book.gateway_client import Gateway, SetupProblem, SuiteProblem
from deploy.import_book.importer import Options, RequestInvalid, import_book
from deploy.import_book.outcome import Outcome
from deploy.import_book.summary import summary_text
from gateway.settings import DEV_BOOTSTRAP_ADMIN_KEY

DEFAULT_URL = "http://127.0.0.1:8000"
DEFAULT_SOURCE = "legacy"
TIMEOUT = httpx.Timeout(600.0, connect=5.0)  # an import request of 2,000 lines or 500 tickets takes a while


def arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m deploy.import_book", description=__doc__.splitlines()[0] if __doc__ else ""
    )
    parser.add_argument("directory", metavar="DIR", type=Path, help="the directory holding the four CSV files")
    parser.add_argument(
        "--gateway-url",
        default=os.environ.get("BSS_IMPORT_GATEWAY_URL", DEFAULT_URL),
        help=f"the suite's gateway (env BSS_IMPORT_GATEWAY_URL; default {DEFAULT_URL})",
    )
    parser.add_argument(
        "--admin-key",
        default=os.environ.get("BSS_IMPORT_ADMIN_KEY", DEV_BOOTSTRAP_ADMIN_KEY),
        help="an admin API key (env BSS_IMPORT_ADMIN_KEY; default the embedded development key)",
    )
    parser.add_argument(
        "--source",
        default=os.environ.get("BSS_IMPORT_SOURCE", DEFAULT_SOURCE),
        help="the system the book comes from: with the source ids it is what makes a second import change nothing, "
        f"so import a book always under the same source (env BSS_IMPORT_SOURCE; default {DEFAULT_SOURCE})",
    )
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="check every line with the suite and write nothing (docs/import-format.md)",
    )
    parser.add_argument(
        "--wait",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="how long tickets wait for support to learn their resellers (default 60)",
    )
    return parser.parse_args(argv)


async def run(args: argparse.Namespace, book: Book, outcome: Outcome, out: TextIO, err: TextIO) -> Outcome:
    options = Options(source=outcome.source, dry_run=args.dry_run, wait_s=args.wait)
    headers = {"X-API-Key": args.admin_key}
    async with httpx.AsyncClient(base_url=args.gateway_url, headers=headers, timeout=TIMEOUT) as client:
        gateway = Gateway(client)
        await gateway.check_admin()
        out.write(f"Importing into {args.gateway_url} as '{outcome.source}'{' (dry run)' if args.dry_run else ''}\n")
        out.flush()
        return await import_book(gateway, book, options, outcome, progress=err)


def main(argv: list[str] | None = None, out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    args = arguments(argv)
    started = time.monotonic()
    try:
        source = source_name(args.source)
        book = read_book(args.directory, datetime.now(UTC))
    except CellError as exc:
        err.write(f"error: --source: {exc}\n")
        return 2
    except BookInvalid as exc:
        _problems(err, f"{args.directory}: the book cannot be imported; nothing was sent", exc.problems)
        return 2
    out.write(
        f"Read {args.directory}: {len(book.resellers):,} resellers, {len(book.subscriptions):,} subscriptions, "
        f"{len(book.tickets):,} tickets with {book.steps:,} history steps\n"
    )
    outcome = Outcome(source=source, dry_run=args.dry_run)
    try:
        asyncio.run(run(args, book, outcome, out, err))
    except SetupProblem as exc:
        err.write(f"error: {exc}; nothing was sent\n")
        return 2
    except RequestInvalid as exc:
        _problems(err, "the suite refused a request as malformed; nothing of it was written", exc.problems)
        _partial(outcome, args.gateway_url, out)
        return 2
    except (SuiteProblem, httpx.HTTPError) as exc:
        err.write(f"\nerror: {exc}\n")
        _partial(outcome, args.gateway_url, out)
        return 1
    except KeyboardInterrupt:
        err.write("\nInterrupted: what was sent stays imported; run the import again to finish it.\n")
        return 130
    out.write("\n" + summary_text(outcome, args.gateway_url) + f"\n(took {time.monotonic() - started:.1f} s)\n")
    return outcome.exit_code


def _problems(err: TextIO, title: str, problems: list[str]) -> None:
    err.write(f"error: {title}:\n")
    for problem in problems[:SHOWN_PROBLEMS]:
        err.write(f"  {problem}\n")
    if len(problems) > SHOWN_PROBLEMS:
        err.write(f"  ... and {len(problems) - SHOWN_PROBLEMS:,} more\n")


def _partial(outcome: Outcome, gateway_url: str, out: TextIO) -> None:
    if outcome.lines:
        out.write("\nWhat was done before it stopped:\n" + summary_text(outcome, gateway_url) + "\n")


if __name__ == "__main__":
    sys.exit(main())
