"""Settings a distributor changes in the course of business, kept as effective-dated data with an audit trail.

Each service declares the kinds it owns (`SettingKind`: a name, what its scope is, the pydantic model of its
value) and keeps every change in its own `setting_versions` table. A change says: from `effective_from` on,
`scope` of `kind` has `value` (or, with no value, has none any more). Nothing is updated in place, so the rows
are the audit trail (who, when, the value before, the value after, from when) and any date's values can be
read back (`as_of`). Between two changes effective on the same day, the later recorded one wins: that is how a
mistake is corrected.

Environment variables only seed a fresh database (`seed_if_empty`); a serving process reads the table.
docs/domain.md, "Settings as data".
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError
from sqlalchemy import JSON, BigInteger, Column, Date, Index, Integer, MetaData, String, Table, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bss.problems import Conflict, NotFound
from bss.usecase import UseCase
from bss.utc_datetime import UtcDateTime

V = TypeVar("V", bound=BaseModel)

_SEQ = BigInteger().with_variant(Integer(), "sqlite")
_SEED_LOCK = 0x5E77_1265  # the advisory lock that serializes seeding on PostgreSQL
SEED_ACTOR = "seed:environment"
"""Who the changes written by `seed_if_empty` name: the environment a fresh database was seeded from."""


class InvalidScope(ValueError):
    """A scope the kind does not accept; the message says what it accepts."""


@dataclass(frozen=True, slots=True)
class SettingKind(Generic[V]):
    """One kind of setting: what it means, what identifies one (`scope`) and what its value looks like."""

    name: str
    """The kind's name in the API and the table, kebab-case: `tax-rates`."""
    title: str
    description: str
    value_type: type[V]
    scope_label: str
    """What a scope names, for people and the docs: `country (ISO 3166-1 alpha-2)`."""
    normalize_scope: Callable[[str], str]
    """The canonical scope, or `InvalidScope` saying what is accepted."""
    example_scope: str
    """The scope the settings routes' examples use: one the change's guard accepts on a fresh suite."""
    example_value: Mapping[str, Any] = field(default_factory=dict)
    removable: bool = True
    """Whether a scope's value may be removed from a date (DELETE); False where a scope always has one."""
    example_effective_from: date = date(2099, 1, 1)
    """The day the PUT example's change takes effect, and the day the read examples ask about (`as_of`). Far
    ahead by default: no month that far is ever invoiced, so the change is accepted whenever the example runs,
    and it leaves the values of every day an example of another operation uses as they were."""
    example_removed_from: date = date(2099, 7, 1)
    """The DELETE example's `effective_from`: after `example_effective_from`, so the value set by the PUT example
    is there to remove and the read examples still find it on their day."""

    def scope(self, raw: str) -> str:
        return self.normalize_scope(raw.strip())

    def parse(self, stored: Any) -> V:
        return self.value_type.model_validate(stored)


@dataclass(frozen=True, slots=True)
class SettingVersion(Generic[V]):
    """One change: from `effective_from` on, `scope` has `value` (None: the setting was removed)."""

    seq: int
    kind: str
    scope: str
    value: V | None
    previous: V | None
    effective_from: date
    recorded_at: datetime
    recorded_by: str
    reason: str | None


def define_table(metadata: MetaData) -> Table:
    """Add the `setting_versions` table to a service's metadata (each service owns its kinds and its copy)."""
    table = Table(
        "setting_versions",
        metadata,
        Column("seq", _SEQ, primary_key=True, autoincrement=True),
        Column("kind", String(60), nullable=False),
        Column("scope", String(100), nullable=False),
        Column("value", JSON, nullable=True),
        Column("previous", JSON, nullable=True),
        Column("effective_from", Date, nullable=False),
        Column("recorded_at", UtcDateTime(), nullable=False),
        Column("recorded_by", String(200), nullable=False),
        Column("reason", String(500), nullable=True),
        comment="Every change of a setting kept as data: from effective_from on, scope of kind has value.",
    )
    Index("ix_setting_versions_lookup", table.c.kind, table.c.scope, table.c.effective_from, table.c.seq)
    return table


class SettingsStore:
    """Reads and changes the settings of one service's `setting_versions` table."""

    def __init__(self, table: Table, kinds: Sequence[SettingKind[Any]]) -> None:
        self._table = table
        self.kinds: dict[str, SettingKind[Any]] = {kind.name: kind for kind in kinds}

    def kind(self, name: str) -> SettingKind[Any] | None:
        return self.kinds.get(name)

    async def in_force(self, session: AsyncSession, kind: SettingKind[V], on: date) -> dict[str, SettingVersion[V]]:
        """Every scope's version in force on `on` (scopes whose setting was removed by then are left out)."""
        t = self._table
        rows = await session.execute(
            select(t)
            .where(t.c.kind == kind.name, t.c.effective_from <= on)
            .order_by(t.c.scope, t.c.effective_from, t.c.seq)
        )
        latest: dict[str, Any] = {}
        for row in rows:
            latest[row.scope] = row
        versions = {scope: self._version(kind, row) for scope, row in latest.items()}
        return {scope: version for scope, version in versions.items() if version.value is not None}

    async def value_of(self, session: AsyncSession, kind: SettingKind[V], scope: str, on: date) -> V | None:
        version = await self.version_of(session, kind, scope, on)
        return version.value if version is not None else None

    async def version_of(
        self, session: AsyncSession, kind: SettingKind[V], scope: str, on: date
    ) -> SettingVersion[V] | None:
        """The version of one scope in force on `on`, or None when it has no value then."""
        t = self._table
        row = (
            await session.execute(
                select(t)
                .where(t.c.kind == kind.name, t.c.scope == scope, t.c.effective_from <= on)
                .order_by(t.c.effective_from.desc(), t.c.seq.desc())
                .limit(1)
            )
        ).first()
        if row is None:
            return None
        version = self._version(kind, row)
        return version if version.value is not None else None

    async def change(
        self,
        session: AsyncSession,
        kind: SettingKind[V],
        scope: str,
        value: V | None,
        *,
        effective_from: date,
        recorded_by: str,
        recorded_at: datetime,
        reason: str | None = None,
    ) -> SettingVersion[V]:
        """Record that from `effective_from` on, `scope` has `value` (None removes it); returns the change."""
        previous = await self.value_of(session, kind, scope, effective_from)
        values = {
            "kind": kind.name,
            "scope": scope,
            "value": _stored(value),
            "previous": _stored(previous),
            "effective_from": effective_from,
            "recorded_at": recorded_at,
            "recorded_by": recorded_by[:200],
            "reason": reason,
        }
        result = await session.execute(self._table.insert().values(**values).returning(self._table.c.seq))
        seq = int(result.scalar_one())
        return SettingVersion(
            seq=seq,
            kind=kind.name,
            scope=scope,
            value=value,
            previous=previous,
            effective_from=effective_from,
            recorded_at=recorded_at,
            recorded_by=values["recorded_by"],
            reason=reason,
        )

    async def history(
        self,
        session: AsyncSession,
        *,
        kind: SettingKind[Any] | None = None,
        scope: str | None = None,
        after_seq: int | None = None,
        limit: int = 100,
    ) -> list[SettingVersion[Any]]:
        """The audit trail, oldest change first: every change of a kind (and scope), or of every kind."""
        t = self._table
        query = select(t).order_by(t.c.seq).limit(limit)
        if kind is not None:
            query = query.where(t.c.kind == kind.name)
        if scope is not None:
            query = query.where(t.c.scope == scope)
        if after_seq is not None:
            query = query.where(t.c.seq > after_seq)
        versions = []
        for row in await session.execute(query):
            known = self.kinds.get(row.kind)
            if known is not None:
                versions.append(self._version(known, row))
        return versions

    async def seed_if_empty(
        self,
        session: AsyncSession,
        kind: SettingKind[V],
        values: Mapping[str, V],
        *,
        effective_from: date,
        recorded_at: datetime,
    ) -> int:
        """Write `values` as the kind's first changes when the kind has none yet (a fresh database); how many."""
        t = self._table
        if session.get_bind().dialect.name == "postgresql":  # replicas starting together on a fresh database
            await session.execute(select(func.pg_advisory_xact_lock(_SEED_LOCK)))
        if (await session.execute(select(t.c.seq).where(t.c.kind == kind.name).limit(1))).first() is not None:
            return 0
        for scope, value in values.items():
            await self.change(
                session,
                kind,
                scope,
                value,
                effective_from=effective_from,
                recorded_by=SEED_ACTOR,
                recorded_at=recorded_at,
                reason="seeded from the environment of a fresh database",
            )
        return len(values)

    @staticmethod
    def _version(kind: SettingKind[V], row: Any) -> SettingVersion[V]:
        return SettingVersion(
            seq=row.seq,
            kind=row.kind,
            scope=row.scope,
            value=_parsed(kind, row.value),
            previous=_parsed(kind, row.previous),
            effective_from=row.effective_from,
            recorded_at=row.recorded_at,
            recorded_by=row.recorded_by,
            reason=row.reason,
        )


def _stored(value: BaseModel | None) -> Any:
    return None if value is None else value.model_dump(mode="json")


def _parsed(kind: SettingKind[V], stored: Any) -> V | None:
    if stored is None:
        return None
    try:
        return kind.parse(stored)
    except ValidationError as exc:  # a row written by a newer version of the kind: say which one
        raise ValueError(f"setting {kind.name} holds a value this version cannot read: {exc}") from exc


DEFAULT_SCOPE = "*"
"""The scope of a value that applies where no narrower one is set (every country, product or reseller)."""


def canonical_uuid(raw: str, what: str) -> str:
    """`raw` as a canonical lower-case uuid, or `InvalidScope` saying it should be `what`."""
    try:
        return str(uuid.UUID(raw))
    except ValueError as exc:
        raise InvalidScope(what) from exc


def uuid_or_default(what: str) -> Callable[[str], str]:
    """A scope that is an id (a reseller, a product) in canonical form, or `*` for the rest."""

    def normalize(raw: str) -> str:
        return raw if raw == DEFAULT_SCOPE else canonical_uuid(raw, f"{what} (uuid), or {DEFAULT_SCOPE} for the rest")

    return normalize


def upper_code(length: int, label: str) -> Callable[[str], str]:
    """A scope that is a code of `length` ASCII letters (a country, a currency), upper-cased."""

    def normalize(raw: str) -> str:
        code = raw.upper()
        if len(code) != length or not code.isascii() or not code.isalpha():
            raise InvalidScope(f"expected {label}: {length} letters, e.g. {'DE' if length == 2 else 'EUR'}")
        return code

    return normalize


ChangeGuard = Callable[[AsyncSession, SettingKind[Any], str, Any, date], Awaitable[None]]
"""A service's check before a change is recorded: `(session, kind, scope, value or None, effective_from)`. It
raises a `bss.problems.Problem` to refuse (billing: not effective in a month already invoiced; support: an
assignment names a calendar that exists)."""

AfterChange = Callable[[UseCase[Any], AsyncSession, SettingVersion[Any]], Awaitable[None]]
"""What a service does with a recorded change in the same transaction, e.g. announce it in an outbox event to the
services that keep their own copy (subscriptions: a reseller's billing profile, for billing)."""


async def change_setting(
    ctx: UseCase[Any],
    store: SettingsStore,
    kind: SettingKind[V],
    scope: str,
    value: V | None,
    *,
    effective_from: date,
    reason: str | None,
    guard: ChangeGuard | None = None,
    after_change: AfterChange | None = None,
) -> SettingVersion[V]:
    """The use case behind every settings change: checked by the owning service's guard, recorded with who made
    it and when, and passed to `after_change`, in one transaction."""
    async with ctx.transaction() as session:
        if value is None and not kind.removable:
            raise Conflict(f"{kind.title}: a value cannot be removed; set another one from a date instead.")
        if guard is not None:
            await guard(session, kind, scope, value, effective_from)
        if value is None and await store.version_of(session, kind, scope, effective_from) is None:
            raise NotFound(f"{kind.title}: {scope} has no value on {effective_from.isoformat()} to remove.")
        version = await store.change(
            session,
            kind,
            scope,
            value,
            effective_from=effective_from,
            recorded_by=ctx.caller.subject,
            recorded_at=ctx.now,
            reason=reason,
        )
        if after_change is not None:
            await after_change(ctx, session, version)
        return version
