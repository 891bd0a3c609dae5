"""Certification, incidents, Tier 1 program and report routes."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from bss.api.caller import Admin
from bss.api.input_text import SingleLine
from bss.api.json_body import JsonBodyRoute
from bss.problems import PROBLEM_JSON
from support_sla.deps import RuntimeDep, Staff, use_case
from support_sla.domain.tier_one import STEPS, engineers_required
from support_sla.errors import InvalidField
from support_sla.usecases import certification, reports, tier_one

router = APIRouter(tags=["certification", "tier-one", "reports"], route_class=JsonBodyRoute)
_ERRORS: dict[int, str] = {
    404: "No such reseller or program",
    409: "The step was completed meanwhile",
    422: "Invalid input (problem+json naming the fields)",
}


def _problems(*codes: int) -> dict[int | str, dict[str, Any]]:
    """What the route's use case answers (401, 403 and validation come with the dependencies: bss.api)."""
    return {code: {"description": _ERRORS[code], "content": {PROBLEM_JSON: {}}} for code in codes}


class CertifiedEmployeeCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"example": {"name": "Ana Weber", "certified_on": "2024-05-02"}}
    )
    name: SingleLine = Field(min_length=1, max_length=200)
    certified_on: date


class CertificationRead(BaseModel):
    reseller_id: str
    certified: bool
    certified_engineers: int
    valid_until: date | None


@router.post(
    "/v1/resellers/{reseller_id}/certified-employees",
    status_code=201,
    summary="Record a certified employee",
    response_model=CertificationRead,
    responses=_problems(404, 422),
)
async def add_certified_employee(
    reseller_id: str, body: CertifiedEmployeeCreate, runtime: RuntimeDep, caller: Staff
) -> CertificationRead:
    ctx = use_case(runtime, caller)
    r = await certification.add_certified_employee(ctx, reseller_id, body.name, body.certified_on)
    return CertificationRead(
        reseller_id=r.id,
        certified=r.certified,
        certified_engineers=r.certified_engineers,
        valid_until=r.certified_until,
    )


class ResellerRead(CertificationRead):
    country: str
    contract_signed_on: date
    subscription_id: str | None


@router.get(
    "/v1/resellers/{reseller_id}",
    summary="What support knows of a reseller",
    response_model=ResellerRead,
    responses=_problems(404),
)
async def get_reseller(reseller_id: str, runtime: RuntimeDep, caller: Staff) -> ResellerRead:
    r = await certification.known_reseller(runtime, reseller_id)
    return ResellerRead(
        reseller_id=r.id,
        certified=r.certified,
        certified_engineers=r.certified_engineers,
        valid_until=r.certified_until,
        country=r.country,
        contract_signed_on=r.signed_on,
        subscription_id=r.subscription_id,
    )


class ProgramCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"example": {"name": "Tier 1 EU", "accounts": 120}})
    name: SingleLine = Field(min_length=1, max_length=200)
    accounts: int = Field(ge=0, le=2_147_483_647, description="Accounts served (the column is a 32-bit INTEGER)")


class EngineerCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"example": {"name": "Ben Ito", "languages": ["en", "ja"]}}
    )
    name: SingleLine = Field(min_length=1, max_length=200)
    languages: list[SingleLine] = Field(min_length=1, description="ISO 639-1 codes, e.g. ['en', 'de']")


class StepCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"example": {"step": 5, "completed_on": "2024-04-02"}})
    step: int = Field(ge=1, le=7)
    completed_on: date


class ProgramRead(BaseModel):
    id: str
    name: str
    accounts: int
    engineers_required: int
    engineers: list[dict[str, Any]]
    compliant: bool
    missing: list[str]
    steps: dict[str, date | None]
    activated_at: datetime | None


async def _program(runtime: RuntimeDep, program_id: str) -> ProgramRead:
    program = await tier_one.program_with_state(runtime, program_id)
    return ProgramRead(
        id=program.id,
        name=program.name,
        accounts=program.accounts,
        engineers_required=engineers_required(program.accounts),
        engineers=[{"name": e.name, "languages": list(e.languages)} for e in program.engineers],
        compliant=not program.gaps,
        missing=program.gaps,
        steps={f"{n}_{name}": program.steps.get(n) for n, name in STEPS.items()},
        activated_at=program.activated_at,
    )


@router.post(
    "/v1/tier-one-programs",
    status_code=201,
    summary="Start a Tier 1 support program",
    response_model=ProgramRead,
    responses=_problems(422),
)
async def create_program(body: ProgramCreate, runtime: RuntimeDep, caller: Admin) -> ProgramRead:
    return await _program(runtime, await tier_one.create_program(use_case(runtime, caller), body.name, body.accounts))


@router.get(
    "/v1/tier-one-programs/{program_id}/compliance",
    summary="Compliance: what the team is missing",
    response_model=ProgramRead,
    responses=_problems(404),
)
async def compliance(program_id: str, runtime: RuntimeDep, caller: Staff) -> ProgramRead:
    return await _program(runtime, program_id)


@router.post(
    "/v1/tier-one-programs/{program_id}/engineers",
    status_code=201,
    summary="Add a support engineer",
    response_model=ProgramRead,
    responses=_problems(404, 422),
)
async def add_engineer(program_id: str, body: EngineerCreate, runtime: RuntimeDep, caller: Admin) -> ProgramRead:
    languages = [lang.lower() for lang in body.languages]
    await tier_one.add_engineer(use_case(runtime, caller), program_id, body.name, languages)
    return await _program(runtime, program_id)


@router.post(
    "/v1/tier-one-programs/{program_id}/steps",
    status_code=201,
    summary="Complete an onboarding step",
    response_model=ProgramRead,
    responses=_problems(404, 409, 422),
)
async def complete_step(program_id: str, body: StepCreate, runtime: RuntimeDep, caller: Admin) -> ProgramRead:
    await tier_one.complete_step(use_case(runtime, caller), program_id, body.step, body.completed_on)
    return await _program(runtime, program_id)


@router.get(
    "/v1/reports/{report}",
    summary="Tier 1 reports A-E: count, mean, median, p90, SLA attainment; JSON or CSV",
    response_model=dict[str, Any],
    responses={
        **_problems(422),
        200: {"description": "JSON, or CSV with format=csv", "content": {"text/csv": {"schema": {"type": "string"}}}},
    },
)
async def report(
    report: Literal["a", "b", "c", "d", "e"],
    runtime: RuntimeDep,
    caller: Staff,
    start: Annotated[AwareDatetime | None, Query(alias="from")] = None,
    end: Annotated[AwareDatetime | None, Query(alias="to")] = None,
    format: Literal["json", "csv"] = "json",
) -> Any:
    if start and end and end <= start:
        raise InvalidField("to", "the period ends after it starts")
    answer = await reports.run_report(runtime, report, reports.Period(start, end))
    if format == "csv":
        return Response(_csv(answer.rows), media_type="text/csv")
    return {
        "report": report.upper(),
        "title": answer.title,
        "from": start,
        "to": end,
        "as_of": answer.as_of,
        "rows": answer.rows,
    }


def _csv(rows: list[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    if rows:
        writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return buffer.getvalue()
