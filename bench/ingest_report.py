"""How `bench ingest` sets its run against the issue's target and against the floor (`bench usage_floor`).

The target (issue #23) is relative to the machine: end to end at least `TARGET_RATIO` x the raw aiokafka produce
rate measured on the same broker in the same run. On a machine whose cores every process shares, what bounds the
end-to-end rate is the CPU spent per event in all of them together; each process's share is printed beside the
parts of the floor that process cannot do without (the broker's parts from this run's raw measurement, the
database's from `usage_floor.postgres_part` on a fresh database after the run).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bench.broker import RawRates
from bench.reporting import Figure, print_table, rounded

TARGET_RATIO = 0.25
"""End to end, at least this share of the raw produce rate of the same run (issue #23)."""


@dataclass(frozen=True, slots=True)
class FloorPart:
    """One part of the floor: what it is, the process group that does it, its CPU microseconds per event."""

    name: str
    process: str
    us: float


@dataclass(frozen=True, slots=True)
class PostgresFloor:
    """Server CPU seconds of the floor's database parts (`usage_floor.postgres_part`) over `events` events."""

    counting_s: float
    bundling_s: float
    events: int
    batch: int
    http_batch: int


BILLING, BROKER, POSTGRES = "billing processes", "embedded broker", "PostgreSQL"


def floor_parts(raw: RawRates, postgres: PostgresFloor | None) -> list[FloorPart]:
    """The floor's parts, each with the process group that carries it in the end-to-end run."""
    per_record = 1e6 / raw.messages
    parts = [
        FloorPart("aiokafka producer (record batches), client", BILLING, raw.produce_cpu.client_s * per_record),
        FloorPart("aiokafka consumer group, client", BILLING, raw.consume_cpu.client_s * per_record),
        FloorPart("embedded broker, taking them", BROKER, raw.produce_cpu.broker_s * per_record),
        FloorPart("embedded broker, serving them", BROKER, raw.consume_cpu.broker_s * per_record),
    ]
    if postgres is not None:
        per_event = 1e6 / postgres.events
        parts += [
            FloorPart(
                f"intake's outbox bundle, {postgres.http_batch:,} per statement",
                POSTGRES,
                postgres.bundling_s * per_event,
            ),
            FloorPart(f"record_and_count, {postgres.batch:,} per statement", POSTGRES, postgres.counting_s * per_event),
        ]
    return parts


def group_of(process: str) -> str:
    """The floor's process group of a metered process."""
    if process.startswith("billing"):
        return BILLING
    if process.startswith("PostgreSQL"):
        return POSTGRES
    return BROKER if process == "embedded broker" else process


def print_beside_floor(used: Mapping[str, float], events: int, parts: Sequence[FloorPart]) -> float:
    """Each process's CPU per event, and under each group the floor's parts it carries; returns the total."""
    rows: list[list[object]] = []
    total = 0.0
    for process, seconds in used.items():
        us = seconds / events * 1e6
        total += us
        rows.append([process, round(us, 1), ""])
    for group in (BILLING, BROKER, POSTGRES):
        spent = sum(seconds for process, seconds in used.items() if group_of(process) == group) / events * 1e6
        floor = sum(part.us for part in parts if part.process == group)
        rows.append([f"{group}, all", round(spent, 1), round(floor, 1)])
        rows.extend([f"  floor: {part.name}", "", round(part.us, 1)] for part in parts if part.process == group)
    rows.append(["all processes", round(total, 1), round(sum(part.us for part in parts), 1)])
    print_table("CPU per distinct event beside the floor (us)", ["process", "end to end", "floor"], rows)
    return total


def result_figures(
    events_per_s: float, raw: RawRates, used: Mapping[str, float], events: int, parts: Sequence[FloorPart]
) -> dict[str, Figure]:
    """The JSON line's target and floor figures."""
    ratio = events_per_s / raw.produce_per_s if raw.produce_per_s else float("nan")
    figures: dict[str, Figure] = {
        "raw_produce_per_s": rounded(raw.produce_per_s),
        "ratio_to_raw_produce": rounded(ratio, 3),
        "target_ratio": TARGET_RATIO,
        "target_met": ratio >= TARGET_RATIO,
        "cpu_us_per_event all": round(sum(used.values()) / events * 1e6, 1),
    }
    figures.update({f"floor_us {part.name}": round(part.us, 1) for part in parts})
    figures["floor_us"] = round(sum(part.us for part in parts), 1)
    return figures
