"""What the outbox benchmark checks after a run: nothing lost, nothing applied twice, every row sent."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from bench.outbox_pipeline import Pipeline, amount_of, consumer_tables, counter, producer_tables, things


@dataclass(frozen=True, slots=True)
class Checks:
    events: int
    expected_total: int
    things_rows: int
    outbox_rows: int
    unsent: int
    inbox_rows: int
    counter_total: int
    applications: int
    lost: int
    double_counted: int

    def rows(self) -> list[tuple[str, int, int, bool]]:
        """(check, expected, actual, passed) for the report."""
        expected = [
            ("state rows committed", self.events, self.things_rows),
            ("outbox rows written", self.events, self.outbox_rows),
            ("outbox rows still unsent", 0, self.unsent),
            ("inbox rows", self.events, self.inbox_rows),
            ("counter total (sum of amounts)", self.expected_total, self.counter_total),
            ("handler applications", self.events, self.applications),
            ("lost (written, never applied)", 0, self.lost),
            ("double counted (applied again)", 0, self.double_counted),
        ]
        return [(name, want, got, want == got) for name, want, got in expected]

    @property
    def passed(self) -> bool:
        return all(passed for *_, passed in self.rows())


async def check_results(pipeline: Pipeline, written: list[str], events: int) -> Checks:
    """Count what both databases hold once the relay and the consumer have stopped."""
    outbox = producer_tables.outbox
    inbox = consumer_tables.inbox
    async with pipeline.producer_sessions() as session:
        things_rows = (await session.execute(select(func.count()).select_from(things))).scalar_one()
        outbox_rows = (await session.execute(select(func.count()).select_from(outbox))).scalar_one()
        unsent = (
            await session.execute(select(func.count()).select_from(outbox).where(outbox.c.sent_at.is_(None)))
        ).scalar_one()
    async with pipeline.consumer_sessions() as session:
        applications, total = (await session.execute(select(counter.c.applications, counter.c.total))).one()
        inbox_ids = set(
            (await session.execute(select(inbox.c.event_id).where(inbox.c.consumer == pipeline.group))).scalars()
        )
    applied = len(inbox_ids & set(written))
    return Checks(
        events=events,
        expected_total=sum(amount_of(i) for i in range(events)),
        things_rows=int(things_rows),
        outbox_rows=int(outbox_rows),
        unsent=int(unsent),
        inbox_rows=len(inbox_ids),
        counter_total=int(total),
        applications=int(applications),
        lost=events - applied,
        # The counter moves only in the inbox's transaction: an application beyond one per inbox row is a repeat.
        double_counted=max(0, int(applications) - len(inbox_ids)),
    )
