"""The import's summary for the terminal: per kind, how many lines were created, changed, unchanged, in conflict,
refused or not sent; then every line refused or in conflict (and every ticket not sent) with its source id, its
place in the book and why."""

from __future__ import annotations

from deploy.demo.text_table import Cell, table
from deploy.import_book.gateway_client import printable
from deploy.import_book.outcome import KINDS, STATUSES, LineOutcome, Outcome

_PLURAL = {"reseller": "resellers", "subscription": "subscriptions", "ticket": "tickets"}
_NOT_IN = {("ticket", "changed"), ("reseller", "not_sent"), ("subscription", "not_sent")}
"""A ticket is never `changed` (its history is never rewritten), and every book line is sent."""


def summary_text(outcome: Outcome, gateway_url: str) -> str:
    what = "Dry run of the book import (nothing was written)" if outcome.dry_run else "Book import"
    parts = [f"{what} from '{outcome.source}' via {gateway_url}", "", counts_table(outcome)]
    failures = [line for line in outcome.lines if line.status in ("refused", "conflict")]
    if failures:
        parts += ["", f"Refused or in conflict ({len(failures)}):", *(_line_text(line) for line in failures)]
    changed = [line for line in outcome.lines if line.status == "changed"]
    if changed:
        parts += ["", f"Changed ({len(changed)}):", *(_line_text(line) for line in changed)]
    unsent = [line for line in outcome.lines if line.status == "not_sent" and line.blocking]
    if unsent:
        parts += ["", f"Not sent ({len(unsent)}):", *(_line_text(line) for line in unsent)]
    unchecked = sum(1 for line in outcome.lines if line.status == "not_sent" and not line.blocking)
    if unchecked:
        parts += [
            "",
            f"{unchecked} tickets not checked: their resellers are new, and a dry run creates nothing, so support "
            "does not know them (the import sends them once the book is imported).",
        ]
    verdict = "nothing was refused" if outcome.exit_code == 0 else "some lines were not imported (exit code 1)"
    parts += ["", f"Done: {verdict}."]
    return "\n".join(parts)


def counts_table(outcome: Outcome) -> str:
    rows: list[list[Cell]] = []
    for kind in KINDS:
        counts = outcome.counts(kind)
        rows.append([_PLURAL[kind], *(None if (kind, s) in _NOT_IN else counts[s] for s in STATUSES)])
    return table(["kind", *(status.replace("_", " ") for status in STATUSES)], rows)


def _line_text(line: LineOutcome) -> str:
    return printable(f"  {line.kind} {line.source_id} {line.status} ({line.where}): {line.reason or ''}".rstrip())
