"""Billing's typed errors, as RFC 9457 problems (the suite maps `Problem` subclasses in one handler)."""

from __future__ import annotations

from bss.problems import Conflict, NotFound, ValidationProblem, field_error


class InvalidPeriod(ValidationProblem):
    """A month close of a period that is not a past calendar month."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message, errors=[field_error(field, message)])


class InvalidInput(ValidationProblem):
    """A request value that breaks a billing rule (over the batch limit, a credit above the open amount)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message, errors=[field_error(field, message)])


class InvoiceNotFound(NotFound):
    def __init__(self, invoice_id: str) -> None:
        super().__init__(f"invoice {invoice_id} does not exist")


class UsageEventNotFound(NotFound):
    def __init__(self, event_id: str) -> None:
        super().__init__(f"no usage event with id {event_id} was ever received")


class InvalidTransition(Conflict):
    """An invoice lifecycle step not allowed from its current status (draft -> issued -> paid / void)."""

    def __init__(self, status: str, action: str) -> None:
        super().__init__(f"an invoice in status '{status}' cannot be {action}")
