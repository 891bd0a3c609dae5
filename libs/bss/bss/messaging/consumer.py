"""The consumer runner: Kafka -> inbox + effects in one transaction -> offset commit.

Each event is applied in its own transaction with its inbox row, so a redelivered event changes nothing.
Offsets are committed only after the batch's transactions committed: a crash in between redelivers, and
the inbox absorbs it. A message that cannot be parsed, whose handler fails for a reason retrying will not
cure (`PERMANENT_ERRORS`), or whose handler keeps failing, goes to the topic's dead-letter topic with the error
in its headers (`bss.messaging.dead_letters`: cut to fit, never a reason to stop), and the consumer carries on.
A database that is down is not the message's fault: that is retried until the database is back.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TypeAlias

import structlog
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from pydantic import ValidationError
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bss.clock import Clock
from bss.events.envelope import CloudEvent
from bss.kafka import KafkaError, new_consumer
from bss.messaging import dead_letters
from bss.messaging.dead_letters import DeadLetterLimits
from bss.messaging.inbox import Inbox
from bss.messaging.log_marks import ID_HEADER, LogMark, Verdict, check_marks
from bss.metrics import EVENTS_CONSUMED

log = structlog.get_logger("bss.consumer")

Handler = Callable[[AsyncSession, CloudEvent], Awaitable[None]]
BatchHandler = Callable[[AsyncSession, list[CloudEvent]], Awaitable[None]]
Record: TypeAlias = ConsumerRecord[bytes, bytes]
RecordHandler = Callable[[AsyncSession, list[Record]], Awaitable[list[tuple[Record, str]]]]
"""Takes a poll's records of one topic raw; returns the records it could not read, each with the reason."""
DeadLetterHook = Callable[[Record, str], Awaitable[None]]
"""Told of each record the consumer set aside on a dead-letter topic, with the reason (after it was sent)."""


class PoisonMessage(Exception):
    """A handler's verdict that this event can never be applied (retrying will not help)."""


PERMANENT_ERRORS: tuple[type[BaseException], ...] = (
    PoisonMessage,
    ValidationError,
    ArithmeticError,  # decimal.Overflow, InvalidOperation, DivisionByZero: the data, not the moment
    ValueError,  # UnicodeError among them
    RecursionError,
)
"""Handler errors that the same record will raise again: dead-lettered at once, not retried."""


@dataclass(frozen=True, slots=True)
class ConsumerSpec:
    """Which events a consumer group applies and how.

    `handlers` maps a CloudEvents type to a use case applied one event per transaction. `batch_handlers` maps
    high-volume types to a use case applied to many events in one transaction (the inbox claims them together
    and passes only the new ones); if a batch fails, its events are applied one by one, so one poison event is
    dead-lettered alone. Within a partition, events keep their order.

    `record_handlers` maps a topic to a use case that takes its records raw, a poll at a time, in one
    transaction: no envelope parsing and no inbox here, so the handler must be idempotent by itself (billing's
    usage ledger is its own inbox). It returns the records it could not read; they are dead-lettered. If the
    batch fails, its records are applied one by one, like `batch_handlers`.
    """

    name: str
    topics: tuple[str, ...]
    handlers: Mapping[str, Handler] = field(default_factory=dict)
    batch_handlers: Mapping[str, BatchHandler] = field(default_factory=dict)
    record_handlers: Mapping[str, RecordHandler] = field(default_factory=dict)
    dead_lettered: DeadLetterHook | None = None
    """Called for each record this consumer dead-lettered, in no transaction of the runner's; a failure is logged,
    never a reason to stop (billing's usage consumer records the fate of the event id it can read)."""


@dataclass(frozen=True, slots=True)
class ConsumerConfig:
    bootstrap_servers: str
    client_id: str
    max_attempts: int = 3
    batch_size: int = 500
    rewind_check_interval_s: float = 2.0
    retry_backoff_s: float = 0.2
    max_backoff_s: float = 5.0
    session_timeout_ms: int = 10_000
    dead_letter_limits: DeadLetterLimits = field(default_factory=DeadLetterLimits)


class EventConsumer:
    def __init__(
        self,
        *,
        spec: ConsumerSpec,
        config: ConsumerConfig,
        session_factory: async_sessionmaker[AsyncSession],
        inbox: Inbox,
        producer: AIOKafkaProducer,
        clock: Clock,
    ) -> None:
        self.spec = spec
        self._config = config
        self._sessions = session_factory
        self._inbox = inbox
        self._producer = producer
        self._clock = clock
        self._stopping = asyncio.Event()
        self._marks: dict[TopicPartition, LogMark] = {}
        self._lost_verdicts = 0

    def stop(self) -> None:
        self._stopping.set()

    def stopping(self) -> bool:
        return self._stopping.is_set()

    async def run(self) -> None:
        consumer = await self._start_consumer()
        try:
            loop = asyncio.get_running_loop()
            next_check = loop.time() + self._config.rewind_check_interval_s
            while not self._stopping.is_set():
                batch = await consumer.getmany(timeout_ms=200, max_records=self._config.batch_size)
                run: list[tuple[ConsumerRecord[bytes, bytes], CloudEvent]] = []
                raw: dict[str, list[Record]] = {}
                for tp, records in batch.items():
                    if tp.topic in self.spec.record_handlers:
                        raw.setdefault(tp.topic, []).extend(records)
                        self._remember(tp, records[-1])
                        continue
                    for record in records:
                        event = await self._parse(record)
                        if event is None:
                            continue
                        if event.type in self.spec.batch_handlers:
                            run.append((record, event))
                            continue
                        if run:  # keep this partition's order: earlier batched events go first
                            await self._apply_batch(run)
                            run = []
                        await self._process(record, event)
                    self._remember(tp, records[-1])
                if run:
                    await self._apply_batch(run)
                for topic, records in raw.items():
                    await self._apply_records(self.spec.record_handlers[topic], records)
                if batch:
                    await consumer.commit()
                if loop.time() >= next_check:
                    await self._rewind_if_broker_emptied(consumer)
                    next_check = loop.time() + self._config.rewind_check_interval_s
        finally:
            await consumer.stop()

    async def _start_consumer(self) -> AIOKafkaConsumer:
        backoff = self._config.retry_backoff_s
        while True:
            consumer = new_consumer(
                self._config.bootstrap_servers,
                *self.spec.topics,
                group_id=self.spec.name,
                client_id=self._config.client_id,
                max_records=self._config.batch_size,
                session_timeout_ms=self._config.session_timeout_ms,
            )
            try:
                await consumer.start()
                return consumer
            except (KafkaError, OSError) as exc:
                await consumer.stop()
                log.warning("broker not reachable; consumer retrying", consumer=self.spec.name, error=str(exc))
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self._config.max_backoff_s)

    async def _parse(self, record: ConsumerRecord[bytes, bytes]) -> CloudEvent | None:
        try:
            return CloudEvent.from_json(record.value or b"")
        except (ValidationError, ValueError, RecursionError) as exc:
            await self._dead_letter(record, f"not a CloudEvents JSON envelope: {_first_line(exc)}")
            return None

    async def _apply_batch(self, run: list[tuple[ConsumerRecord[bytes, bytes], CloudEvent]]) -> None:
        """Apply many events in one transaction; on a failure, fall back to one transaction per event."""
        events = [event for _, event in run]

        async def apply_all() -> None:
            async with self._sessions() as session, session.begin():
                fresh = await self._inbox.claim_many(session, self.spec.name, events, now=self._clock.now())
                by_type: dict[str, list[CloudEvent]] = {}
                for event in fresh:
                    by_type.setdefault(event.type, []).append(event)
                for event_type, group in by_type.items():
                    await self.spec.batch_handlers[event_type](session, group)
            EVENTS_CONSUMED.labels(self.spec.name, "applied").inc(len(fresh))
            EVENTS_CONSUMED.labels(self.spec.name, "duplicate").inc(len(events) - len(fresh))

        if await self._all_at_once(apply_all, len(run)):
            return
        for record, event in run:
            batch_handler = self.spec.batch_handlers[event.type]

            async def one(session: AsyncSession, single: CloudEvent, apply: BatchHandler = batch_handler) -> None:
                await apply(session, [single])

            await self._apply(record, event, one)

    async def _apply_records(self, handler: RecordHandler, records: list[Record]) -> None:
        """Apply a topic's records raw in one transaction; on a failure, one record per transaction."""

        async def apply_all() -> None:
            async with self._sessions() as session, session.begin():
                unreadable = await handler(session, records)
            for record, reason in unreadable:
                await self._dead_letter(record, reason)
            EVENTS_CONSUMED.labels(self.spec.name, "applied").inc(len(records) - len(unreadable))

        if await self._all_at_once(apply_all, len(records)):
            return
        for record in records:
            await self._apply_record(handler, record)

    async def _all_at_once(self, work: Callable[[], Awaitable[None]], size: int) -> bool:
        """Run a whole batch's `work`, waiting out a database that is down; False if it failed otherwise (the
        caller then applies the batch one message per transaction, so a poison message is dead-lettered alone)."""
        backoff = self._config.retry_backoff_s
        while True:
            try:
                await work()
                return True
            except (OperationalError, DBAPIError, OSError) as exc:
                if not _is_connection_problem(exc):
                    return False
                log.warning("database unavailable; retrying batch", error=_first_line(exc), backoff_s=backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self._config.max_backoff_s)
            except Exception as exc:
                log.warning("batch failed; applying its messages one by one", size=size, error=_first_line(exc))
                return False

    async def _apply_record(self, handler: RecordHandler, record: Record) -> None:
        async def apply_alone() -> None:
            async with self._sessions() as session, session.begin():
                unreadable = await handler(session, [record])
            for _, reason in unreadable:
                await self._dead_letter(record, reason)

        await self._with_retries(record, apply_alone)

    async def _process(self, record: ConsumerRecord[bytes, bytes], event: CloudEvent) -> None:
        handler = self.spec.handlers.get(event.type)
        if handler is None:
            EVENTS_CONSUMED.labels(self.spec.name, "ignored").inc()
            return
        structlog.contextvars.bind_contextvars(event_id=event.id, event_type=event.type)
        try:
            await self._apply(record, event, handler)
        finally:
            structlog.contextvars.unbind_contextvars("event_id", "event_type")

    async def _apply(self, record: ConsumerRecord[bytes, bytes], event: CloudEvent, handler: Handler) -> None:
        async def apply_once() -> None:
            async with self._sessions() as session, session.begin():
                if not await self._inbox.claim(session, self.spec.name, event, now=self._clock.now()):
                    EVENTS_CONSUMED.labels(self.spec.name, "duplicate").inc()
                    return
                await handler(session, event)
            EVENTS_CONSUMED.labels(self.spec.name, "applied").inc()

        await self._with_retries(record, apply_once)

    async def _with_retries(self, record: Record, work: Callable[[], Awaitable[None]]) -> None:
        """Run `work` for one record: a database that is down is waited for; a failing handler is retried
        `max_attempts` times, then the record is dead-lettered with the error; a poison verdict at once."""
        attempts = 0
        backoff = self._config.retry_backoff_s
        while True:
            try:
                await work()
                return
            except PERMANENT_ERRORS as exc:
                await self._dead_letter(record, f"{type(exc).__name__}: {_first_line(exc)}")
                return
            except (OperationalError, DBAPIError, OSError) as exc:
                if _is_connection_problem(exc):
                    log.warning("database unavailable; retrying event", error=_first_line(exc), backoff_s=backoff)
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, self._config.max_backoff_s)
                    continue
                attempts += 1
                error: Exception = exc
            except Exception as exc:
                attempts += 1
                error = exc
            if attempts >= self._config.max_attempts:
                await self._dead_letter(record, f"{type(error).__name__}: {_first_line(error)}")
                return
            log.warning("handler failed; retrying", attempt=attempts, error=_first_line(error))
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, self._config.max_backoff_s)

    async def _dead_letter(self, record: ConsumerRecord[bytes, bytes], reason: str) -> None:
        EVENTS_CONSUMED.labels(self.spec.name, "dead_lettered").inc()
        letter = dead_letters.compose(record, reason, consumer=self.spec.name, limits=self._config.dead_letter_limits)
        where = {"topic": record.topic, "partition": record.partition, "offset": record.offset}
        log.error("event sent to the dead-letter topic", **where, reason=reason[:1000])
        config = self._config
        if not await dead_letters.send(
            self._producer, letter, backoff_s=config.retry_backoff_s, max_backoff_s=config.max_backoff_s
        ):
            digest = dict(letter.headers)["dlq_payload_sha256"].decode()
            log.error("dead letter could not be written; the record stays in its topic", **where, sha256=digest)
        if self.spec.dead_lettered is not None:
            try:
                await self.spec.dead_lettered(record, reason)
            except Exception as exc:  # a fate not noted is logged; the consumer carries on (ADR 0013)
                log.error("a dead letter's fate could not be recorded", **where, error=_first_line(exc))

    def _remember(self, tp: TopicPartition, record: ConsumerRecord[bytes, bytes]) -> None:
        event_id = dict(record.headers or ()).get(ID_HEADER)
        if event_id:
            self._marks[tp] = LogMark(tp, record.offset, event_id.decode())

    async def _rewind_if_broker_emptied(self, consumer: AIOKafkaConsumer) -> None:
        """An emptied broker restarts its logs at 0: read the assigned partitions again from the start.

        Usually the fetch position falls off the new log and `auto_offset_reset` rewinds by itself; this
        covers a new log that already grew past our position. The inbox drops what was applied before.
        """
        assigned = consumer.assignment()
        marks = [mark for tp, mark in self._marks.items() if tp in assigned][:1]
        verdict = await check_marks(self._config.bootstrap_servers, marks)
        if verdict is not Verdict.LOST:
            self._lost_verdicts = 0
            return
        self._lost_verdicts += 1
        if self._lost_verdicts < 2:
            return
        log.warning("the broker lost its log; reading the assigned partitions again", consumer=self.spec.name)
        self._lost_verdicts = 0
        self._marks.clear()
        await consumer.seek_to_beginning(*assigned)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _is_connection_problem(exc: BaseException) -> bool:
    if isinstance(exc, OSError):
        return True
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    message = str(exc).lower()
    return any(
        marker in message
        for marker in ("database is locked", "connection", "could not connect", "server closed", "timeout")
    )


__all__ = [
    "BatchHandler",
    "ConsumerConfig",
    "ConsumerSpec",
    "DeadLetterHook",
    "EventConsumer",
    "Handler",
    "PoisonMessage",
    "Record",
    "RecordHandler",
    "TopicPartition",
]
