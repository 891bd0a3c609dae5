"""The service's typed errors; each is a `Problem`, so the shared handler answers RFC 9457 problem+json.

Rule refusals carry the broken rules by their stable code (`errors[].rule`, `rules`), so a client can act on
them without parsing text.
"""

from __future__ import annotations

from collections.abc import Sequence

from bss.problems import Conflict, NotFound, ValidationProblem
from subscriptions.domain.ordering import Refusal


class RuleRefused(ValidationProblem):
    """The request is well formed but breaks business rules; every broken rule is listed."""

    type_ = "rule-refused"
    title = "The request breaks a business rule"

    def __init__(self, refusals: Sequence[Refusal]) -> None:
        super().__init__(
            " ".join(r.message for r in refusals),
            errors=[{"field": r.field, "message": r.message, "rule": r.code} for r in refusals],
            rules=[r.code for r in refusals],
        )


class StateConflict(Conflict):
    """The subscription's current state does not allow this (e.g. converting a trial after its last day)."""

    type_ = "state-conflict"

    def __init__(self, detail: str, rule: str, field: str = "subscription_id") -> None:
        super().__init__(detail, errors=[{"field": field, "message": detail, "rule": rule}], rules=[rule])


class ExclusionSetTaken(Conflict):
    """A concurrent order won the reseller's exclusion set (the database's unique index decided)."""

    type_ = "rule-refused"

    def __init__(self) -> None:
        message = "The reseller already holds a live contract subscription; change its tier instead of buying another."
        super().__init__(
            message,
            errors=[{"field": "product_id", "message": message, "rule": "exclusion_set"}],
            rules=["exclusion_set"],
        )


class SubscriptionNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("No such subscription for your account.")


class ResellerNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("No such reseller.")


def refuse(code: str, field: str, message: str) -> RuleRefused:
    """One broken rule as a problem."""
    return RuleRefused([Refusal(code, field, message)])
