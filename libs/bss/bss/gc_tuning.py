"""The garbage collector of a long-running service process.

CPython's cyclic collector runs a young collection every 700 net container allocations and, now and then, a
full one that walks every object alive: the imported modules, SQLAlchemy's and pydantic's metadata, the app.
A service that turns a 10,000-event batch into objects allocates millions of containers a second, almost none
of them in cycles (reference counting frees them). Measured in `bench/ingest.py` (ADR 0012), the collector took
about a third of the billing processes' CPU. So, when a service starts serving:

- `gc.freeze()` moves everything alive after start-up (modules, settings, the app) out of the collector's
  sight: those objects live as long as the process anyway, and full collections stop walking them;
- the young-generation threshold goes from 700 to `gc_thresholds[0]` (default 50,000): a young collection
  every 50,000 allocations still bounds cyclic garbage to a few megabytes.

Reference counting is untouched: memory that is not in a cycle is freed at once, as before.
"""

from __future__ import annotations

import gc

from pydantic import BaseModel, Field, field_validator

DEFAULT_THRESHOLDS = (50_000, 20, 100)


def check_thresholds(thresholds: tuple[int, int, int]) -> tuple[int, int, int]:
    """Thresholds that keep the collector on: a young threshold of at least 100, older ones of at least 1
    (0 would switch collection off, and cyclic garbage would pile up for the life of the process)."""
    young, older, oldest = thresholds
    if young < 100 or older < 1 or oldest < 1:
        raise ValueError(f"gc thresholds {thresholds}: the first must be >= 100, the others >= 1")
    return thresholds


def tune_garbage_collector(thresholds: tuple[int, int, int], *, freeze: bool) -> None:
    """Apply the service's collector settings; call once, after the app is built and before serving."""
    if freeze:
        gc.collect()  # what start-up left in cycles goes now, not into the permanent generation
        gc.freeze()
    gc.set_threshold(*thresholds)


class CollectorSettings(BaseModel):
    """The collector settings every serving process has (`ServiceSettings`, `GatewaySettings`)."""

    gc_thresholds: tuple[int, int, int] = Field(
        default=DEFAULT_THRESHOLDS,
        description="gc.set_threshold for the serving process (CPython's default is 700, 10, 10); bss/gc_tuning.py",
    )
    gc_freeze: bool = Field(default=True, description="gc.freeze() what is alive once the app is built")

    @field_validator("gc_thresholds")
    @classmethod
    def _collector_stays_on(cls, value: tuple[int, int, int]) -> tuple[int, int, int]:
        return check_thresholds(value)

    def tune_garbage_collector(self) -> None:
        tune_garbage_collector(self.gc_thresholds, freeze=self.gc_freeze)
