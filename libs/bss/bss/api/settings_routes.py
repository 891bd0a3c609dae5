"""The admin API of a service's effective-dated settings (`bss.effective_settings`), one set of routes per kind.

    GET    /v1/settings                        the kinds this service owns
    GET    /v1/settings/changes                the audit trail (kind, scope filters; cursor pages)
    GET    /v1/settings/{kind}?as_of=D         every scope's value in force on D (today by default)
    GET    /v1/settings/{kind}/{scope}?as_of=D one scope's value in force on D
    PUT    /v1/settings/{kind}/{scope}         from effective_from on, this value (admin)
    DELETE /v1/settings/{kind}/{scope}?effective_from=D   from D on, no value (admin)

Each kind gets its own routes so that `/docs` shows its value's schema and an example. Staff read; admins
change. The examples come from the kind (`example_scope`, `example_value`, `example_effective_from`,
`example_removed_from`), so every service's routes document one that works on a fresh suite. This module
deliberately has no `from __future__ import annotations`: the per-kind routes are built in a loop and FastAPI
must see their value types, not names.
"""

from datetime import date, datetime
from typing import Annotated, Any, Generic

from fastapi import APIRouter, Body, Path, Query
from fastapi.openapi.models import Example
from pydantic import BaseModel, ConfigDict, Field

from bss.api.caller import Admin, Staff
from bss.api.error_responses import problem_response
from bss.api.input_text import SingleLine
from bss.api.json_body import JsonBodyRoute
from bss.api.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page, decode_cursor, encode_cursor
from bss.api.runtime import RuntimeDep
from bss.effective_settings import (
    AfterChange,
    ChangeGuard,
    InvalidScope,
    SettingKind,
    SettingsStore,
    SettingVersion,
    V,
    change_setting,
)
from bss.problems import NotFound, ValidationProblem, field_error
from bss.usecase import UseCase

STAFF_READ = "Admins and support agents may read it; other roles are refused (403)."
ADMIN_ONLY = "Only admins may change settings (403 for other roles)."
GUARD_REFUSAL = (
    "The service refuses the change; the detail says why (billing: it reaches into a month already invoiced, "
    "`earliest_effective_from` says from when a change may take effect)"
)


def _scope_path(kind: SettingKind[Any]) -> Any:
    example: dict[str, Example] = {"scope": {"summary": f"A scope of {kind.name}", "value": kind.example_scope}}
    return Path(
        min_length=1,
        max_length=100,
        description=f"What the setting is for: {kind.scope_label}.",
        openapi_examples=example,
    )


def _as_of(kind: SettingKind[Any]) -> Any:
    day = kind.example_effective_from.isoformat()
    return Query(
        description="The day whose values to show (YYYY-MM-DD); today when left out.",
        openapi_examples={"day": {"summary": "The day the change example takes effect", "value": day}},
    )


class SettingKindRead(BaseModel):
    name: str
    title: str
    description: str
    scope: str = Field(description="What a scope names.")
    path: str


class SettingRead(BaseModel, Generic[V]):
    """One change of a setting: from `effective_from` on, `scope` has `value` (null: removed)."""

    seq: int = Field(description="The change's position in the audit trail.")
    kind: str
    scope: str
    value: V | None
    previous: V | None = Field(description="The value in force on effective_from before this change.")
    effective_from: date
    recorded_at: datetime
    recorded_by: str
    reason: str | None


class SettingsInForce(BaseModel, Generic[V]):
    kind: str
    as_of: date
    items: list[SettingRead[V]]


class SettingChange(BaseModel, Generic[V]):
    """A change: from `effective_from` on, the scope has `value`."""

    model_config = ConfigDict(extra="forbid")

    value: V
    effective_from: date = Field(description="The first day the value applies to.")
    reason: SingleLine | None = Field(default=None, max_length=500, description="Why, for the audit trail.")


def _read(version: SettingVersion[Any]) -> dict[str, Any]:
    return {
        "seq": version.seq,
        "kind": version.kind,
        "scope": version.scope,
        "value": version.value,
        "previous": version.previous,
        "effective_from": version.effective_from,
        "recorded_at": version.recorded_at,
        "recorded_by": version.recorded_by,
        "reason": version.reason,
    }


def _scope(kind: SettingKind[Any], raw: str) -> str:
    try:
        return kind.scope(raw)
    except InvalidScope as exc:
        raise ValidationProblem(f"{kind.title}: {exc}", errors=[field_error("scope", str(exc))]) from exc


def settings_router(
    store: SettingsStore,
    *,
    guard: ChangeGuard | None = None,
    after_change: AfterChange | None = None,
    prefix: str = "/v1/settings",
) -> APIRouter:
    """The settings routes of one service: the kinds of `store`, changes checked by `guard` and passed to
    `after_change` in their transaction."""
    router = APIRouter(prefix=prefix, tags=["settings"], route_class=JsonBodyRoute)
    first = next(iter(store.kinds.values()), None)
    kind_example: dict[str, Any] = (
        {"openapi_examples": {"kind": {"summary": f"Only the changes of {first.name}", "value": first.name}}}
        if first is not None
        else {}
    )

    @router.get("", summary="The kinds of settings this service owns")
    async def kinds(_caller: Staff) -> list[SettingKindRead]:
        """The kinds of settings this service keeps as effective-dated data: each kind's name, what it means, what
        its scope names and the path of its routes. Admins and support agents may read them; other roles are
        refused (403)."""
        return [
            SettingKindRead(
                name=k.name, title=k.title, description=k.description, scope=k.scope_label, path=f"{prefix}/{k.name}"
            )
            for k in store.kinds.values()
        ]

    @router.get(
        "/changes",
        summary="The audit trail: every change, oldest first",
        responses={404: problem_response("No such kind")},
    )
    async def changes(
        _caller: Staff,
        runtime: RuntimeDep,
        kind: Annotated[
            str | None, Query(max_length=60, description="Only this kind's changes.", **kind_example)
        ] = None,
        scope: Annotated[str | None, Query(max_length=100, description="Only this scope's (needs kind).")] = None,
        cursor: Annotated[str | None, Query(max_length=200)] = None,
        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    ) -> Page[SettingRead[Any]]:
        """The audit trail of this service's settings, oldest change first: each change with the value it sets (null:
        removed) and the one it replaces, the day it takes effect from, who recorded it, when and why. `kind`
        narrows it to one kind (404 for a kind this service does not own) and `scope` to one of its scopes (422
        without `kind`); `next_cursor` leads to the next page. Admins and support agents may read it; other roles
        are refused (403)."""
        chosen = None
        if kind is not None:
            chosen = store.kind(kind)
            if chosen is None:
                raise NotFound(f"No setting kind {kind!r} here; GET {prefix} lists them.")
        if scope is not None and chosen is None:
            raise ValidationProblem("scope needs kind", errors=[field_error("scope", "name the kind as well")])
        key = decode_cursor(cursor)
        after = key[0] if key and isinstance(key[0], int) else None
        async with runtime.sessions() as session:
            found = await store.history(
                session,
                kind=chosen,
                scope=_scope(chosen, scope) if chosen is not None and scope is not None else None,
                after_seq=after,
                limit=limit + 1,
            )
        page = found[:limit]
        next_cursor = encode_cursor([page[-1].seq]) if len(found) > limit else None
        return Page[SettingRead[Any]](items=[SettingRead[Any](**_read(v)) for v in page], next_cursor=next_cursor)

    for kind in store.kinds.values():
        _add_kind(router, store, kind, guard, after_change)
    return router


def _add_kind(
    router: APIRouter,
    store: SettingsStore,
    kind: SettingKind[Any],
    guard: ChangeGuard | None,
    after_change: AfterChange | None,
) -> None:
    value_type = kind.value_type
    read_type = SettingRead[value_type]  # type: ignore[valid-type]
    list_type = SettingsInForce[value_type]  # type: ignore[valid-type]
    change_type = SettingChange[value_type]  # type: ignore[valid-type]
    example = {
        "value": dict(kind.example_value),
        "effective_from": kind.example_effective_from.isoformat(),
        "reason": "agreed in the annual review",
    }
    path = "/" + kind.name
    scope_path = Annotated[str, _scope_path(kind)]
    as_of_query = Annotated[date | None, _as_of(kind)]
    removed_from = Query(
        description="The first day without a value.",
        openapi_examples={
            "day": {"summary": "A day after the change example", "value": kind.example_removed_from.isoformat()}
        },
    )
    no_longer = {"reason": {"summary": "Why, for the audit trail", "value": "no longer applies"}}

    async def in_force(_caller: Staff, runtime: RuntimeDep, as_of: as_of_query = None) -> Any:  # type: ignore[valid-type]
        on = as_of or runtime.clock.now().date()
        async with runtime.sessions() as session:
            versions = await store.in_force(session, kind, on)
        return list_type(kind=kind.name, as_of=on, items=[read_type(**_read(v)) for v in versions.values()])

    async def one(_caller: Staff, runtime: RuntimeDep, scope: scope_path, as_of: as_of_query = None) -> Any:  # type: ignore[valid-type]
        canonical = _scope(kind, scope)
        on = as_of or runtime.clock.now().date()
        async with runtime.sessions() as session:
            version = await store.version_of(session, kind, canonical, on)
        if version is None:
            raise NotFound(f"{kind.title}: {canonical} has no value on {on.isoformat()}.")
        return read_type(**_read(version))

    async def put(caller: Admin, runtime: RuntimeDep, scope: scope_path, body: change_type) -> Any:  # type: ignore[valid-type]
        version = await change_setting(
            UseCase.acting_now(runtime, caller),
            store,
            kind,
            _scope(kind, scope),
            body.value,  # type: ignore[attr-defined]
            effective_from=body.effective_from,  # type: ignore[attr-defined]
            reason=body.reason,  # type: ignore[attr-defined]
            guard=guard,
            after_change=after_change,
        )
        return read_type(**_read(version))

    async def remove(
        caller: Admin,
        runtime: RuntimeDep,
        scope: scope_path,  # type: ignore[valid-type]
        effective_from: Annotated[date, removed_from],
        reason: Annotated[SingleLine | None, Query(max_length=500, openapi_examples=no_longer)] = None,
    ) -> Any:
        version = await change_setting(
            UseCase.acting_now(runtime, caller),
            store,
            kind,
            _scope(kind, scope),
            None,
            effective_from=effective_from,
            reason=reason,
            guard=guard,
            after_change=after_change,
        )
        return read_type(**_read(version))

    put.__annotations__["body"] = Annotated[
        change_type, Body(openapi_examples={"change": {"summary": "A change from a date", "value": example}})
    ]
    title = kind.title
    scope_note = f"Scope: {kind.scope_label}, e.g. `{kind.example_scope}` (422 for a scope the kind does not accept)."
    router.add_api_route(
        path,
        in_force,
        methods=["GET"],
        response_model=list_type,
        summary=f"{title}: every value in force",
        description=(
            f"Every scope's value on `as_of` (today when left out), each with the change it comes from; scopes "
            f"without a value that day are left out. {STAFF_READ}\n\n{kind.description}"
        ),
    )
    not_found: dict[int | str, dict[str, Any]] = {404: problem_response("The scope has no value on that day")}
    refused: dict[int | str, dict[str, Any]] = {409: problem_response(GUARD_REFUSAL)} if guard else {}
    router.add_api_route(
        path + "/{scope}",
        one,
        methods=["GET"],
        response_model=read_type,
        summary=f"{title}: one value in force",
        responses=not_found,
        description=(
            f"One scope's value on `as_of` (today when left out) and the change it comes from; 404 when the scope "
            f"has no value that day. {scope_note} {STAFF_READ}\n\n{kind.description}"
        ),
    )
    router.add_api_route(
        path + "/{scope}",
        put,
        methods=["PUT"],
        response_model=read_type,
        summary=f"{title}: set from a date",
        responses=refused,
        description=(
            f"From `effective_from` on, the scope has this value (the whole value, restated). Nothing is "
            f"overwritten: the change joins the audit trail with the value it replaces, who made it, when and why; "
            f"of two changes effective the same day, the later recorded one wins. {scope_note} {ADMIN_ONLY}\n\n"
            f"{kind.description}"
        ),
    )
    if not kind.removable:
        return
    router.add_api_route(
        path + "/{scope}",
        remove,
        methods=["DELETE"],
        response_model=read_type,
        summary=f"{title}: remove from a date",
        responses={**not_found, **refused},
        description=(
            f"From `effective_from` on, the scope has no value: a change without a value joins the audit trail and "
            f"the days before keep theirs. 404 when the scope has no value on that day to remove. {scope_note} "
            f"{ADMIN_ONLY}\n\n{kind.description}"
        ),
    )
