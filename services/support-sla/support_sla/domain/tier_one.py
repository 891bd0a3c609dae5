"""The distributor's Tier 1 support program (seed 000): team requirements and the seven onboarding steps."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from bss.calendar_months import add_months_clamped

ACCOUNTS_PER_ENGINEER = 50
MENTORING_MONTHS = 2
STEPS: dict[int, str] = {
    1: "addendum_and_questionnaire",
    2: "certification",
    3: "advanced_trainings",
    4: "pre_check",
    5: "mentoring",
    6: "checkpoint",
    7: "finished",
}
FINISHED = 7


@dataclass(frozen=True, slots=True)
class Engineer:
    name: str
    languages: frozenset[str]


def engineers_required(accounts: int) -> int:
    """One support engineer per 50 accounts, at least one (seed 000)."""
    return max(1, math.ceil(accounts / ACCOUNTS_PER_ENGINEER))


def compliance_gaps(accounts: int, engineers: Iterable[Engineer]) -> list[str]:
    """What the team misses for Tier 1: engineers per 50 accounts and an English speaker (seed 000)."""
    team = list(engineers)
    gaps: list[str] = []
    needed = engineers_required(accounts)
    if len(team) < needed:
        gaps.append(f"{needed - len(team)} more support engineer(s): {accounts} accounts need {needed}")
    if not any("en" in e.languages for e in team):
        gaps.append("at least one English-speaking engineer (to coordinate with the vendor's support)")
    return gaps


class StepRefused(ValueError):
    """An onboarding step that cannot be completed yet."""


def check_step(step: int, on: date, completed: Mapping[int, date], gaps: list[str]) -> None:
    """Steps are completed in order, never before the previous one; the checkpoint comes at least 2 months
    after mentoring starts; 'finished' needs a compliant team (seed 000)."""
    if step not in STEPS:
        raise StepRefused(f"steps are 1 to 7, not {step}")
    if step in completed:
        raise StepRefused(f"step {step} ({STEPS[step]}) was completed on {completed[step]}")
    if step > 1:
        previous = completed.get(step - 1)
        if previous is None:
            raise StepRefused(f"complete step {step - 1} ({STEPS[step - 1]}) first")
        if on < previous:
            raise StepRefused(f"step {step} cannot be dated before step {step - 1} ({previous})")
    if step == 6:
        earliest = add_months_clamped(completed[5], MENTORING_MONTHS)
        if on < earliest:
            raise StepRefused(f"mentoring lasts at least {MENTORING_MONTHS} months: checkpoint on {earliest} or later")
    if step == FINISHED and gaps:
        raise StepRefused("the team is not compliant: " + "; ".join(gaps))
