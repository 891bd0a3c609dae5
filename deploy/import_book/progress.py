"""The import's progress on the terminal: a bar per phase redrawn in place (as `make demo`'s usage bar), or a line
per request when the output is not a terminal. On stderr, so the summary on stdout stays clean to pipe."""

from __future__ import annotations

import sys
import time
from typing import TextIO

WIDTH = 30


class ProgressBar:
    def __init__(self, label: str, total: int, unit: str, out: TextIO | None = None) -> None:
        self.label = label
        self.total = total
        self.unit = unit
        self.out = out if out is not None else sys.stderr
        self.in_place = self.out.isatty()
        self.started = time.monotonic()
        self.done = 0

    def advance(self, count: int, note: str = "") -> None:
        self.done += count
        share = self.done / self.total if self.total else 1.0
        filled = min(WIDTH, int(WIDTH * share))
        elapsed = max(time.monotonic() - self.started, 1e-6)
        text = (
            f"  {self.label:<8} [{'#' * filled}{'.' * (WIDTH - filled)}] {self.done:,}/{self.total:,} {self.unit}"
            f"  {self.done / elapsed:,.0f}/s{'  ' + note if note else ''}"
        )
        if self.in_place:
            self.out.write("\r" + text + ("\n" if self.done >= self.total else ""))
        else:
            self.out.write(text + "\n")
        self.out.flush()
