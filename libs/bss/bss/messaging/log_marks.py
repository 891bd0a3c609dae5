"""Has the broker lost its log? Ask it for a record we know it acknowledged.

The embedded broker keeps its log in memory: after a restart its topics are gone or start again at offset 0.
Comparing log-end offsets is not reliable there (Tansu answers `ListOffsets` with the last batch's base offset
+ 1, not the log end), so the suite checks marks instead: a mark is one acknowledged record (partition,
offset, event id). Fetching that exact offset gives the same event while the log is intact; a vanished topic,
an empty partition or another event at that offset means the log was lost. Works the same on Apache Kafka,
where it also catches a topic deleted and recreated.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from enum import Enum

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import KafkaError, OffsetOutOfRangeError

ID_HEADER = "ce_id"


@dataclass(frozen=True, slots=True)
class LogMark:
    partition: TopicPartition
    offset: int
    event_id: str


class Verdict(Enum):
    INTACT = "intact"
    LOST = "lost"
    UNKNOWN = "unknown"  # the broker did not answer in time: decide nothing


async def check_marks(bootstrap_servers: str, marks: list[LogMark], *, timeout_s: float = 3.0) -> Verdict:
    """LOST if any mark's record is gone; INTACT if all were read back; UNKNOWN if the broker was unreachable."""
    if not marks:
        return Verdict.INTACT
    probe = AIOKafkaConsumer(
        bootstrap_servers=bootstrap_servers,
        group_id=None,
        client_id="bss-log-probe",
        enable_auto_commit=False,
        auto_offset_reset="none",
        request_timeout_ms=int(timeout_s * 1000),
    )
    try:
        async with asyncio.timeout(timeout_s * 2):
            await probe.start()
            existing = await probe.topics()
            if any(mark.partition.topic not in existing for mark in marks):
                return Verdict.LOST
            return await _read_marks(probe, marks, timeout_s)
    except (KafkaError, OSError, TimeoutError):
        return Verdict.UNKNOWN
    finally:
        with contextlib.suppress(KafkaError, OSError):
            await probe.stop()


async def _read_marks(probe: AIOKafkaConsumer, marks: list[LogMark], timeout_s: float) -> Verdict:
    probe.assign([mark.partition for mark in marks])
    for mark in marks:
        probe.seek(mark.partition, mark.offset)
    pending = {mark.partition: mark for mark in marks}
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while pending and loop.time() < deadline:
        try:
            batch = await probe.getmany(*pending, timeout_ms=200, max_records=1)
        except OffsetOutOfRangeError:
            return Verdict.LOST
        for tp, records in batch.items():
            if not records or tp not in pending:
                continue
            mark = pending.pop(tp)
            record = records[0]
            headers = dict(record.headers or ())
            if record.offset != mark.offset or headers.get(ID_HEADER, b"").decode() != mark.event_id:
                return Verdict.LOST
            probe.pause(tp)
    # A partition that answers nothing at an offset it acknowledged is empty now, or very slow.
    return Verdict.LOST if pending else Verdict.INTACT
