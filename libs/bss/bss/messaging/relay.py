"""The outbox relay: publishes committed outbox rows to Kafka, at least once, in commit order.

Rows are marked sent only after the broker acknowledged them (acks=all), so a broker that is down
loses nothing: the relay backs off and tries again. Sent rows are kept for a retention window; when
the relay sees the broker came back empty (acknowledged offsets went backwards, or the last records
it acknowledged are gone: see `log_marks`), it marks that window unsent again and re-sends it.
Consumers' inboxes make the replay harmless.

A bundle written by this process is sent from memory once its transaction committed (`Outbox` hands it
over): the relay claims its row by `seq` (on PostgreSQL with `FOR UPDATE SKIP LOCKED`, so a row another
relay took first stays with it) without reading the payload back. Such a bundle may go out before rows that
other transactions committed earlier; bundles carry high-volume events (usage) whose consumers do not depend
on order across transactions (ADR 0022).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, NamedTuple

import structlog
from aiokafka import AIOKafkaProducer, TopicPartition
from aiokafka.partitioner import DefaultPartitioner
from aiokafka.producer.message_accumulator import BatchBuilder
from aiokafka.structs import RecordMetadata
from sqlalchemy import Row, delete, select, update
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bss.clock import Clock
from bss.db import insert_for
from bss.events.topics import spec_for
from bss.kafka import KafkaError, TopicsNotAsDeclared, prepare_topics
from bss.messaging.log_marks import ID_HEADER, LogMark, Verdict, check_marks
from bss.messaging.outbox import (
    BUNDLE_PREFIX,
    CommittedBundle,
    decode_bundle,
    on_bundles_commit,
    on_outbox_commit,
)
from bss.messaging.tables import MessagingTables
from bss.metrics import OUTBOX_ERRORS, OUTBOX_PUBLISHED, OUTBOX_REPLAYS

log = structlog.get_logger("bss.outbox")

_PARTITIONER = DefaultPartitioner()  # the producer's default: murmur2 of the key, as the Java client
_TRANSIENT = (KafkaError, OSError, TimeoutError, OperationalError, DBAPIError)
_CONTENT_TYPE = ("content-type", b"application/cloudevents+json")
_HANDED_LIMIT = 200_000  # messages of committed bundles a relay keeps in memory to send (the rest it reads back)


@dataclass(frozen=True, slots=True)
class RelayConfig:
    service: str
    bootstrap_servers: str
    batch_size: int = 500
    poll_interval_s: float = 0.2
    retention_s: float = 3600.0
    broker_check_interval_s: float = 2.0
    max_backoff_s: float = 5.0
    cleanup_interval_s: float = 60.0
    create_topics: bool = True
    """Re-create the topics an emptied broker lost (the embedded default); in production they are checked instead."""


class _Outgoing(NamedTuple):  # a tuple: a relay round can carry tens of thousands
    topic: str
    key: bytes | None
    value: bytes
    event_id: str
    event_type: bytes  # the `ce_type` header value


def _expand(rows: Sequence[Row[Any, Any, Any, Any, Any, Any]]) -> list[_Outgoing]:
    """The messages of the rows, in order: a bundle row gives all of its messages."""
    messages: list[_Outgoing] = []
    for row in rows:
        if row.event_type.startswith(BUNDLE_PREFIX):
            _expand_bundle(messages, row.topic, row.event_type[len(BUNDLE_PREFIX) :], decode_bundle(row.payload))
        else:
            key = row.key.encode() if row.key else None
            messages.append(_Outgoing(row.topic, key, row.payload, row.event_id, row.event_type.encode()))
    return messages


def _expand_bundle(
    messages: list[_Outgoing], topic: str, event_type: str, bundled: Sequence[tuple[str, str | None, bytes]]
) -> None:
    type_header = event_type.encode()
    messages.extend(
        _Outgoing(topic, key.encode() if key else None, value, event_id, type_header)
        for event_id, key, value in bundled
    )


class _Claimed(NamedTuple):
    """An outbox row the relay took from memory (what `_mark_sent` needs of a row)."""

    seq: int


class BrokerEmptied(Exception):
    """The broker acknowledged an offset below one it acknowledged before: it lost its log."""


class OutboxRelay:
    def __init__(
        self,
        *,
        config: RelayConfig,
        session_factory: async_sessionmaker[AsyncSession],
        tables: MessagingTables,
        producer: AIOKafkaProducer,
        clock: Clock,
        row_locking: bool,
    ) -> None:
        self._config = config
        self._sessions = session_factory
        self._outbox = tables.outbox
        self._offsets_table = tables.outbox_offsets
        self._producer = producer
        self._clock = clock
        self._row_locking = row_locking  # PostgreSQL: FOR UPDATE SKIP LOCKED, so replicas never share a batch
        self._wakeup = asyncio.Event()
        self._stopping = asyncio.Event()
        self._marks: dict[TopicPartition, LogMark] = {}
        self._partitions: dict[str, list[int]] = {}
        self._key_partitions: dict[str, dict[bytes, int]] = {}  # per topic: each key's partition
        self._lost_verdicts = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._handed: deque[CommittedBundle] = deque()  # committed bundles of this process, not sent yet
        self._handed_messages = 0
        bind = getattr(session_factory, "kw", {}).get("bind")
        self._bind = getattr(bind, "sync_engine", bind)  # bundles written through another engine are not ours

    def take_bundles(self, bundles: list[CommittedBundle]) -> None:
        """Called after a commit that wrote bundles: send them from memory (a bounded backlog; what does not
        fit is read from the outbox like any row)."""
        for bundle in bundles:
            if bundle.bind is not self._bind or self._handed_messages + len(bundle.messages) > _HANDED_LIMIT:
                continue
            self._handed.append(bundle)
            self._handed_messages += len(bundle.messages)

    def wake(self) -> None:
        """Called after a commit that wrote outbox rows; safe from any thread."""
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._wakeup.set)

    def stop(self) -> None:
        self._stopping.set()
        self._wakeup.set()

    def stopping(self) -> bool:
        return self._stopping.is_set()

    async def run(self) -> None:
        self._loop = asyncio.get_running_loop()
        unregister = on_outbox_commit(self.wake)
        unregister_bundles = on_bundles_commit(self.take_bundles)
        backoff = 0.1
        next_check = next_cleanup = 0.0
        try:
            await self._load_offsets()
            while not self._stopping.is_set():
                try:
                    now = self._loop.time()
                    if now >= next_check:
                        await self.check_broker()
                        next_check = now + self._config.broker_check_interval_s
                    if now >= next_cleanup:
                        await self.delete_expired()
                        next_cleanup = now + self._config.cleanup_interval_s
                    sent = await self.publish_once()
                    backoff = 0.1
                except BrokerEmptied as exc:
                    await self._replay(str(exc))
                    continue
                except _TRANSIENT as exc:
                    OUTBOX_ERRORS.labels(self._config.service).inc()
                    log.warning("outbox relay round failed; retrying", error=str(exc), backoff_s=backoff)
                    await self._sleep(backoff)
                    backoff = min(backoff * 2, self._config.max_backoff_s)
                    continue
                if sent < self._config.batch_size and not self._handed:
                    await self._sleep(self._config.poll_interval_s)
        finally:
            unregister()
            unregister_bundles()

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wakeup.wait(), timeout=seconds)
        self._wakeup.clear()

    async def publish_once(self) -> int:
        """Publish the bundles handed over from memory, else the oldest unsent rows; return how many rows were
        published (or taken from memory)."""
        if self._handed:
            return await self._publish_handed()
        query = (
            select(
                self._outbox.c.seq,
                self._outbox.c.topic,
                self._outbox.c.key,
                self._outbox.c.payload,
                self._outbox.c.event_type,
                self._outbox.c.event_id,
            )
            .where(self._outbox.c.sent_at.is_(None))
            .order_by(self._outbox.c.seq)
            .limit(self._config.batch_size)
        )
        if self._row_locking:
            query = query.with_for_update(skip_locked=True)
            async with self._sessions() as session, session.begin():
                rows = (await session.execute(query)).all()
                if rows:
                    marks, published = await self._send(rows)
                    await self._mark_sent(session, rows, marks, published)
                return len(rows)
        # SQLite: one writer; the read transaction ends before sending so the later write is never refused.
        async with self._sessions() as session, session.begin():
            rows = (await session.execute(query)).all()
        if not rows:
            return 0
        marks, published = await self._send(rows)
        async with self._sessions() as session, session.begin():
            await self._mark_sent(session, rows, marks, published)
        return len(rows)

    async def _publish_handed(self) -> int:
        """Claim the rows of bundles handed over from memory and send those still unsent (another relay may have
        taken one, a replay may have re-read it): one transaction holds the claims while sending (PostgreSQL)."""
        bundles: list[CommittedBundle] = []
        size = 0
        while self._handed and (not bundles or size + len(self._handed[0].messages) <= self._config.batch_size):
            bundle = self._handed.popleft()
            self._handed_messages -= len(bundle.messages)
            bundles.append(bundle)
            size += len(bundle.messages)
        outbox = self._outbox
        query = select(outbox.c.seq).where(outbox.c.seq.in_([b.seq for b in bundles]), outbox.c.sent_at.is_(None))
        if self._row_locking:
            query = query.with_for_update(skip_locked=True)
            async with self._sessions() as session, session.begin():
                claimed = set((await session.execute(query)).scalars())
                taken = [bundle for bundle in bundles if bundle.seq in claimed]
                if taken:
                    await self._send_handed(session, taken)
                return len(bundles)
        async with self._sessions() as session, session.begin():
            claimed = set((await session.execute(query)).scalars())
        taken = [bundle for bundle in bundles if bundle.seq in claimed]
        if taken:
            async with self._sessions() as session, session.begin():
                await self._send_handed(session, taken)
        return len(bundles)

    async def _send_handed(self, session: AsyncSession, bundles: list[CommittedBundle]) -> None:
        messages: list[_Outgoing] = []
        for bundle in bundles:
            _expand_bundle(messages, bundle.topic, bundle.event_type, bundle.messages)
        marks, published = await self._send_messages(messages)
        await self._mark_sent(session, [_Claimed(bundle.seq) for bundle in bundles], marks, published)

    async def _send(self, rows: Sequence[Row[Any, Any, Any, Any, Any, Any]]) -> tuple[list[LogMark], int]:
        """Publish the rows' messages in record batches per partition, in order.

        Returns one mark per batch sent and the number of messages.

        `create_batch`/`send_batch` per partition costs less than half of `send()` per message. The key picks
        the partition with the producer's own partitioner, so a key lands where `send()` would put it.
        """
        return await self._send_messages(_expand(rows))

    async def _send_messages(self, messages: list[_Outgoing]) -> tuple[list[LogMark], int]:
        by_partition: dict[tuple[str, int], list[_Outgoing]] = {}
        for topic in {message.topic for message in messages}:
            partitions = await self._load_partitions(topic)
            of_key = self._key_partitions.setdefault(topic, {})
            groups: dict[int, list[_Outgoing]] = {}
            for message in messages:
                if message.topic != topic:
                    continue
                key = message.key
                partition = of_key.get(key) if key is not None else None
                if partition is None:
                    partition = self._partition_of(of_key, key, partitions)
                group = groups.get(partition)
                if group is None:
                    groups[partition] = [message]
                else:
                    group.append(message)
            by_partition.update(((topic, partition), group) for partition, group in groups.items())
        sends: list[tuple[TopicPartition, _Outgoing, asyncio.Future[RecordMetadata]]] = []
        for (topic, partition), group in by_partition.items():
            tp = TopicPartition(topic, partition)
            for batch, first in self._batches(group):
                sends.append((tp, first, await self._producer.send_batch(batch, tp.topic, partition=tp.partition)))
        acks = await asyncio.gather(*(future for _, _, future in sends))
        # The first record of a batch sits at the batch's base offset, which the acknowledgement carries.
        marks = [LogMark(tp, ack.offset, first.event_id) for (tp, first, _), ack in zip(sends, acks, strict=True)]
        return marks, len(messages)

    async def _load_partitions(self, topic: str) -> list[int]:
        if topic not in self._partitions:
            self._partitions[topic] = sorted(await self._producer.partitions_for(topic))
            self._key_partitions.pop(topic, None)
        return self._partitions[topic]

    @staticmethod
    def _partition_of(of_key: dict[bytes, int], key: bytes | None, partitions: list[int]) -> int:
        if key is None:
            return int(_PARTITIONER(None, partitions, partitions))
        if len(of_key) >= 100_000:  # murmur2 is pure Python in aiokafka: hash each key once
            of_key.clear()
        partition = of_key[key] = int(_PARTITIONER(key, partitions, partitions))
        return partition

    def _batches(self, messages: list[_Outgoing]) -> Iterator[tuple[BatchBuilder, _Outgoing]]:
        batch, first = self._producer.create_batch(), None
        type_headers: dict[bytes, tuple[str, bytes]] = {}
        for message in messages:
            type_header = type_headers.get(message.event_type)
            if type_header is None:
                type_header = type_headers[message.event_type] = ("ce_type", message.event_type)
            headers = [(ID_HEADER, message.event_id.encode()), type_header, _CONTENT_TYPE]
            if batch.append(key=message.key, value=message.value, timestamp=None, headers=headers) is None:
                if first is None:
                    raise ValueError(f"event {message.event_id} is larger than the producer's batch size")
                yield batch, first
                batch, first = self._producer.create_batch(), None
                if batch.append(key=message.key, value=message.value, timestamp=None, headers=headers) is None:
                    raise ValueError(f"event {message.event_id} is larger than the producer's batch size")
            if first is None:
                first = message
        if first is not None:
            yield batch, first

    async def _mark_sent(
        self,
        session: AsyncSession,
        rows: Sequence[Any],  # rows read, or `_Claimed` ones: their `seq`
        marks: Sequence[LogMark],
        published: int,
    ) -> None:
        latest: dict[TopicPartition, LogMark] = {}
        for mark in marks:
            if mark.partition not in latest or mark.offset > latest[mark.partition].offset:
                latest[mark.partition] = mark
        await self._mark_rows(session, rows)
        went_back = [tp for tp, mark in latest.items() if tp in self._marks and mark.offset <= self._marks[tp].offset]
        if went_back:
            # These rows are on the new log and stay sent; the replay re-sends the window before them.
            raise BrokerEmptied(f"acknowledged offsets went backwards on {sorted(map(str, went_back))}")
        if latest:  # one statement for every partition's mark (executemany)
            insert = insert_for(session)(self._offsets_table)
            statement = insert.on_conflict_do_update(
                index_elements=["topic", "partition"],
                set_={"high_offset": insert.excluded.high_offset, "event_id": insert.excluded.event_id},
            )
            values = [
                {"topic": tp.topic, "partition": tp.partition, "high_offset": mark.offset, "event_id": mark.event_id}
                for tp, mark in sorted(latest.items())
            ]
            await session.execute(statement, values)
            self._marks.update(latest)
        OUTBOX_PUBLISHED.labels(self._config.service).inc(published)

    async def _mark_rows(self, session: AsyncSession, rows: Sequence[Any]) -> None:
        await session.execute(
            update(self._outbox)
            .where(self._outbox.c.seq.in_([row.seq for row in rows]))
            .values(sent_at=self._clock.now(), attempts=self._outbox.c.attempts + 1)
        )

    async def _load_offsets(self) -> None:
        async with self._sessions() as session:
            rows = (await session.execute(select(self._offsets_table))).all()
        self._marks = {
            TopicPartition(row.topic, row.partition): LogMark(
                TopicPartition(row.topic, row.partition), row.high_offset, row.event_id
            )
            for row in rows
        }

    async def check_broker(self) -> None:
        """Raise `BrokerEmptied` if the broker no longer has the last records it acknowledged to us.

        One mark per topic is enough (an emptied broker loses every topic; a recreated topic loses all its
        partitions). Two lost verdicts in a row are required, so one slow fetch never triggers a replay.
        """
        per_topic: dict[str, LogMark] = {}
        for mark in self._marks.values():
            if mark.partition.topic not in per_topic or mark.offset > per_topic[mark.partition.topic].offset:
                per_topic[mark.partition.topic] = mark
        verdict = await check_marks(self._config.bootstrap_servers, list(per_topic.values()))
        if verdict is Verdict.LOST:
            self._lost_verdicts += 1
            if self._lost_verdicts >= 2:
                self._lost_verdicts = 0
                raise BrokerEmptied("records the broker acknowledged are gone from its log")
        elif verdict is Verdict.INTACT:
            self._lost_verdicts = 0

    async def _replay(self, reason: str) -> None:
        OUTBOX_REPLAYS.labels(self._config.service).inc()
        cutoff = self._clock.now() - timedelta(seconds=self._config.retention_s)
        log.warning("broker lost its log; re-sending the retention window", reason=reason, since=cutoff.isoformat())
        topics = {tp.topic for tp in self._marks}
        try:
            await prepare_topics(
                self._config.bootstrap_servers, [spec_for(topic) for topic in topics], create=self._config.create_topics
            )
            async with self._sessions() as session, session.begin():
                await session.execute(update(self._outbox).where(self._outbox.c.sent_at >= cutoff).values(sent_at=None))
                await session.execute(delete(self._offsets_table))
        except TopicsNotAsDeclared as exc:  # production: never re-create a lost topic with one replica
            log.error("replay waits for the topics to be created as declared", error=str(exc))
            await self._sleep(self._config.max_backoff_s)
            return
        except _TRANSIENT as exc:
            log.warning("replay could not start yet; will retry", error=str(exc))
            await self._sleep(self._config.max_backoff_s)
            return
        self._marks.clear()
        self._partitions.clear()

    async def delete_expired(self) -> int:
        """Drop sent rows older than the retention window."""
        cutoff = self._clock.now() - timedelta(seconds=self._config.retention_s)
        async with self._sessions() as session, session.begin():
            result = await session.execute(
                delete(self._outbox).where(self._outbox.c.sent_at.is_not(None), self._outbox.c.sent_at < cutoff)
            )
        return int(getattr(result, "rowcount", 0) or 0)
