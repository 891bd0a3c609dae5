"""The Tier 1 support program (seed 000): team, compliance, onboarding steps, activation at 'finished'."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bss.events.contracts.support import TierOneProgramActivatedV1
from support_sla.domain.tier_one import FINISHED, STEPS, Engineer, StepRefused, check_step, compliance_gaps
from support_sla.errors import InvalidField, ProgramNotFound, StepConflict
from support_sla.models import TierOneEngineer, TierOneProgram, TierOneStep
from support_sla.usecases.context import Context


async def create_program(ctx: Context, name: str, accounts: int) -> TierOneProgram:
    async with ctx.sessions() as session, session.begin():
        program = TierOneProgram(id=str(uuid.uuid4()), name=name, accounts=accounts)
        session.add(program)
    return program


async def load_program(session: AsyncSession, program_id: str, *, lock: bool = False) -> TierOneProgram:
    program = await session.get(TierOneProgram, program_id, with_for_update=lock)
    if program is None:
        raise ProgramNotFound(program_id)
    return program


async def set_accounts(ctx: Context, program_id: str, accounts: int) -> TierOneProgram:
    async with ctx.sessions() as session, session.begin():
        program = await load_program(session, program_id, lock=True)
        program.accounts = accounts
    return program


async def add_engineer(ctx: Context, program_id: str, name: str, languages: list[str]) -> TierOneEngineer:
    async with ctx.sessions() as session, session.begin():
        await load_program(session, program_id)
        engineer = TierOneEngineer(
            id=str(uuid.uuid4()), program_id=program_id, name=name, languages=sorted(set(languages))
        )
        session.add(engineer)
    return engineer


async def program_with_state(
    ctx: Context, program_id: str
) -> tuple[TierOneProgram, list[TierOneEngineer], dict[int, date], list[str]]:
    """A program (404 if unknown) with its team, completed steps and compliance gaps, read in one session."""
    async with ctx.sessions() as session:
        program = await load_program(session, program_id)
        return (program, *await program_state(session, program))


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


async def complete_step(ctx: Context, program_id: str, step: int, completed_on: date) -> TierOneProgram:
    """Complete an onboarding step in order; step 7 'finished' activates the 10% discount (seed 000)."""
    now = ctx.clock.now()
    if completed_on > now.date():
        raise InvalidField("completed_on", "a step cannot be completed in the future")
    try:
        return await _complete_step(ctx, program_id, step, completed_on, now)
    except IntegrityError as exc:  # a concurrent request completed the same step first
        raise StepConflict(f"step {step} ({STEPS[step]}) was completed by another request") from exc


async def _complete_step(ctx: Context, program_id: str, step: int, completed_on: date, now: datetime) -> TierOneProgram:
    async with ctx.sessions() as session, session.begin():
        program = await load_program(session, program_id, lock=True)
        _, steps, gaps = await program_state(session, program)
        try:
            check_step(step, completed_on, steps, gaps)
        except StepRefused as exc:
            raise StepConflict(str(exc)) from exc
        session.add(TierOneStep(program_id=program.id, step=step, completed_on=completed_on, recorded_at=now))
        if step == FINISHED:
            program.activated_at = now
            await ctx.outbox.add(
                session,
                TierOneProgramActivatedV1(
                    program_id=program.id, checkpoint_passed_on=steps[6], effective_from=completed_on, activated_at=now
                ),
                now=now,
            )
    return program
