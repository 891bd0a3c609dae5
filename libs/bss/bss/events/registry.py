"""Every event contract of the suite, and the lookup from a CloudEvents `type` to its contract class."""

from __future__ import annotations

from bss.events.contracts.billing import (
    CreditNoteIssuedV1,
    InvoiceIssuedV1,
    InvoiceVoidedV1,
    UsageRecordedV1,
    UsageRejectedV1,
)
from bss.events.contracts.catalog import (
    FxRatesPublishedV1,
    PriceBookPublishedV1,
    ProductChangedV1,
    ProductDeactivatedV1,
    ProductPublishedV1,
)
from bss.events.contracts.subscriptions import (
    RampUpGrantedV1,
    ResellerBillingProfileChangedV1,
    ResellerRegisteredV1,
    ResellerStatusChangedV1,
    SubscriptionCancelledV1,
    SubscriptionCreatedV1,
    SubscriptionResumedV1,
    SubscriptionSuspendedV1,
    SubscriptionTierChangedV1,
    TrialConvertedV1,
    TrialExpiredV1,
)
from bss.events.contracts.support import (
    CertificationChangedV1,
    IncidentChargedV1,
    IncidentCreditedV1,
    SlaBreachedV1,
    TicketOpenedV1,
    TicketResolvedV1,
    TicketSeverityChangedV1,
    TierOneProgramActivatedV1,
)
from bss.events.envelope import EventData

ALL_CONTRACTS: tuple[type[EventData], ...] = (
    ProductPublishedV1,
    ProductChangedV1,
    ProductDeactivatedV1,
    PriceBookPublishedV1,
    FxRatesPublishedV1,
    ResellerRegisteredV1,
    ResellerBillingProfileChangedV1,
    ResellerStatusChangedV1,
    SubscriptionCreatedV1,
    TrialConvertedV1,
    TrialExpiredV1,
    SubscriptionTierChangedV1,
    RampUpGrantedV1,
    SubscriptionSuspendedV1,
    SubscriptionResumedV1,
    SubscriptionCancelledV1,
    UsageRecordedV1,
    UsageRejectedV1,
    InvoiceIssuedV1,
    InvoiceVoidedV1,
    CreditNoteIssuedV1,
    TicketOpenedV1,
    TicketSeverityChangedV1,
    TicketResolvedV1,
    SlaBreachedV1,
    IncidentChargedV1,
    IncidentCreditedV1,
    CertificationChangedV1,
    TierOneProgramActivatedV1,
)

_BY_TYPE: dict[str, type[EventData]] = {contract.event_type: contract for contract in ALL_CONTRACTS}


def contract_for(event_type: str) -> type[EventData] | None:
    """The contract class of a CloudEvents `type`, or None for a type this version of the suite does not know."""
    return _BY_TYPE.get(event_type)


def producing_service(contract: type[EventData]) -> str:
    """The service named in the event type: `bss.<service>.<Name>.v<N>` -> `<service>`."""
    return contract.event_type.split(".")[1]


def example_of(contract: type[EventData]) -> EventData:
    """The realistic example a contract declares with its own `example()` classmethod (not inherited)."""
    factory = contract.__dict__.get("example")
    if not isinstance(factory, classmethod):
        raise LookupError(f"{contract.__name__} declares no example() classmethod")
    example = factory.__func__(contract)
    if not isinstance(example, contract):
        raise TypeError(f"{contract.__name__}.example() returned {type(example).__name__}")
    return example
