"""The catalog's typed errors; each is already an RFC 9457 problem (bss maps `Problem` to problem+json)."""

from __future__ import annotations

from bss.problems import Conflict, NotFound, ValidationProblem, field_error


class InvalidField(ValidationProblem):
    """Input that parses but breaks a catalog rule; names the field to fix."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}", errors=[field_error(field, message)])


class OverlappingPeriod(InvalidField):
    type_ = "overlapping-effective-period"
    title = "An effective period overlaps an existing one"


class UnknownReference(InvalidField):
    type_ = "unknown-reference"
    title = "The request names something the catalog does not have"


class ProductNotFound(NotFound):
    def __init__(self, product_id: str) -> None:
        super().__init__(f"No product {product_id}.")


class GroupNotFound(NotFound):
    def __init__(self, group_id: str) -> None:
        super().__init__(f"No product group {group_id}.")


class AlreadyExists(Conflict):
    pass


class AlreadyDeactivated(Conflict):
    def __init__(self, product_id: str) -> None:
        super().__init__(f"Product {product_id} is already deactivated.")
