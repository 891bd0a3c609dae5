"""What became of each line of a book: the suite's verdict per reseller, subscription and ticket, and the exit
code it makes (0 all imported or unchanged, 1 some line refused, in conflict or not sent)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Literal

Kind = Literal["reseller", "subscription", "ticket"]
KINDS: tuple[Kind, ...] = ("reseller", "subscription", "ticket")
Status = Literal["created", "changed", "unchanged", "conflict", "refused", "not_sent"]
STATUSES: tuple[Status, ...] = ("created", "changed", "unchanged", "conflict", "refused", "not_sent")
FAILED: frozenset[Status] = frozenset({"conflict", "refused"})


@dataclass(frozen=True, slots=True)
class LineOutcome:
    kind: Kind
    source_id: str
    status: Status
    where: str
    """The line of the book it comes from (for a refused ticket, the history step at fault when there is one)."""
    id: str | None = None
    """The record in this suite (a dry run names the one it would create)."""
    reason: str | None = None
    """Why it was refused, what a conflict cannot change, or why it was not sent."""
    blocking: bool = True
    """For `not_sent`: whether it makes the import incomplete (a dry run cannot check tickets of a reseller it
    would create: that is expected, not a failure)."""


@dataclass
class Outcome:
    source: str
    dry_run: bool
    lines: list[LineOutcome] = field(default_factory=list)

    def counts(self, kind: Kind) -> Counter[Status]:
        return Counter(line.status for line in self.lines if line.kind == kind)

    @property
    def failures(self) -> list[LineOutcome]:
        return [line for line in self.lines if line.status in FAILED or (line.status == "not_sent" and line.blocking)]

    @property
    def exit_code(self) -> int:
        return 1 if self.failures else 0
