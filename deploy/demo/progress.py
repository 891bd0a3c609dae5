"""The usage stream's progress on the terminal: a bar redrawn in place, or a few plain lines when piped."""

from __future__ import annotations

import sys
import time
from typing import TextIO

from deploy.demo.usage_stream import StreamTally

WIDTH = 30


class ProgressBar:
    def __init__(self, out: TextIO = sys.stdout) -> None:
        self.out = out
        self.started = time.monotonic()
        self.in_place = out.isatty()
        self.last_quarter = -1

    def __call__(self, tally: StreamTally) -> None:
        done = tally.sent / tally.total if tally.total else 1.0
        elapsed = max(time.monotonic() - self.started, 1e-6)
        filled = int(WIDTH * done)
        text = (
            f"  usage  [{'#' * filled}{'.' * (WIDTH - filled)}] {tally.sent:,}/{tally.total:,} events"
            f"  accepted {tally.accepted:,}  rejected {tally.rejected:,}  {tally.sent / elapsed:,.0f}/s"
        )
        if self.in_place:
            self.out.write("\r" + text + ("\n" if tally.sent >= tally.total else ""))
        elif int(done * 4) > self.last_quarter:  # piped: a line at each quarter, not one per batch
            self.last_quarter = int(done * 4)
            self.out.write(text + "\n")
        self.out.flush()
