"""`requested_at`: admins may apply a state change as of an earlier instant (imports, corrections).

The rules apply as of the effective instant; the real time of the call is always recorded beside it.
Resellers and other callers act at the real time only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bss.identity import Caller, Role
from bss.problems import Forbidden, ValidationProblem, field_error

FUTURE_TOLERANCE = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class Instants:
    effective: datetime  # the instant the business rules apply at
    recorded: datetime  # when the call really happened (audit)

    @property
    def backdated(self) -> bool:
        return self.effective != self.recorded


def resolve_instants(caller: Caller, requested_at: datetime | None, now: datetime) -> Instants:
    """The effective and recorded instants of a state change, refusing what the caller may not do."""
    if requested_at is None:
        return Instants(effective=now, recorded=now)
    if caller.role is not Role.ADMIN:
        raise Forbidden("Only admins may backdate a change with requested_at; leave it out to act now.")
    if requested_at.tzinfo is None or requested_at.utcoffset() is None:
        raise ValidationProblem(
            "requested_at needs a time zone", errors=[field_error("requested_at", "add a UTC offset or Z")]
        )
    if requested_at > now + FUTURE_TOLERANCE:
        raise ValidationProblem(
            "requested_at is in the future", errors=[field_error("requested_at", "must not be in the future")]
        )
    return Instants(effective=requested_at, recorded=now)
