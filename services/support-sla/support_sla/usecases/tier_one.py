"""The Tier 1 support program (seed 000): team, compliance, onboarding steps, activation at 'finished'."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bss.events.contracts.support import TierOneProgramActivatedV1
from support_sla.domain.tier_one import FINISHED, STEPS, Engineer, StepRefused, check_step, compliance_gaps
from support_sla.errors import InvalidField, ProgramNotFound, StepConflict
from support_sla.models import TierOneEngineer, TierOneProgram, TierOneStep
from support_sla.runtime import SupportRuntime, SupportUseCase


@dataclass(frozen=True, slots=True)
class EngineerView:
    name: str
    languages: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ProgramState:
    """A program with its team, its completed steps and what the team misses (compliance gaps)."""

    id: str
    name: str
    accounts: int
    activated_at: datetime | None
    engineers: tuple[EngineerView, ...]
    steps: dict[int, date]  # step number: completed on
    gaps: list[str]


async def create_program(ctx: SupportUseCase, name: str, accounts: int) -> str:
    """A new program; returns its id."""
    async with ctx.transaction() as session:
        program = TierOneProgram(id=str(uuid.uuid4()), name=name, accounts=accounts)
        session.add(program)
    return program.id


async def load_program(session: AsyncSession, program_id: str, *, lock: bool = False) -> TierOneProgram:
    program = await session.get(TierOneProgram, program_id, with_for_update=lock)
    if program is None:
        raise ProgramNotFound(program_id)
    return program


async def set_accounts(ctx: SupportUseCase, program_id: str, accounts: int) -> None:
    async with ctx.transaction() as session:
        program = await load_program(session, program_id, lock=True)
        program.accounts = accounts


async def add_engineer(ctx: SupportUseCase, program_id: str, name: str, languages: list[str]) -> str:
    """A support engineer joins the program's team; returns the engineer's id."""
    async with ctx.transaction() as session:
        await load_program(session, program_id)
        engineer = TierOneEngineer(
            id=str(uuid.uuid4()), program_id=program_id, name=name, languages=sorted(set(languages))
        )
        session.add(engineer)
    return engineer.id


async def program_with_state(runtime: SupportRuntime, program_id: str) -> ProgramState:
    """A program (404 if unknown) with its team, completed steps and compliance gaps, read in one session."""
    async with runtime.sessions() as session:
        program = await load_program(session, program_id)
        engineers, steps, gaps = await program_state(session, program)
        return ProgramState(
            id=program.id,
            name=program.name,
            accounts=program.accounts,
            activated_at=program.activated_at,
            engineers=tuple(EngineerView(e.name, tuple(e.languages)) for e in engineers),
            steps=steps,
            gaps=gaps,
        )


async def program_state(
    session: AsyncSession, program: TierOneProgram
) -> tuple[list[TierOneEngineer], dict[int, date], list[str]]:
    """The team, the completed steps and what the team misses (seed 000)."""
    engineers = list(await session.scalars(select(TierOneEngineer).where(TierOneEngineer.program_id == program.id)))
    steps = {
        row.step: row.completed_on
        for row in await session.scalars(select(TierOneStep).where(TierOneStep.program_id == program.id))
    }
    gaps = compliance_gaps(program.accounts, [Engineer(e.name, frozenset(e.languages)) for e in engineers])
    return engineers, steps, gaps


async def complete_step(ctx: SupportUseCase, program_id: str, step: int, completed_on: date) -> None:
    """Complete an onboarding step in order; step 7 'finished' activates the 10% discount (seed 000)."""
    now = ctx.now
    if completed_on > now.date():
        raise InvalidField("completed_on", "a step cannot be completed in the future")
    try:
        await _complete_step(ctx, program_id, step, completed_on, now)
    except IntegrityError as exc:  # a concurrent request completed the same step first
        raise StepConflict(f"step {step} ({STEPS[step]}) was completed by another request") from exc


async def _complete_step(ctx: SupportUseCase, program_id: str, step: int, completed_on: date, now: datetime) -> None:
    async with ctx.transaction() as session:
        program = await load_program(session, program_id, lock=True)
        _, steps, gaps = await program_state(session, program)
        try:
            check_step(step, completed_on, steps, gaps)
        except StepRefused as exc:
            raise StepConflict(str(exc)) from exc
        session.add(TierOneStep(program_id=program.id, step=step, completed_on=completed_on, recorded_at=now))
        if step == FINISHED:
            program.activated_at = now
            await ctx.runtime.outbox.add(
                session,
                TierOneProgramActivatedV1(
                    program_id=program.id, checkpoint_passed_on=steps[6], effective_from=completed_on, activated_at=now
                ),
                now=now,
            )
