"""Support events: tickets and their SLA clocks, support charges and credits, certification, Tier 1 program.

Ticket events (opened, severity changed, resolved, SLA breached) feed the SLA reports the Tier 1 program
requires (cases per distributor and region, case age, time to first reply, resolution time by severity).
`IncidentCharged` and `IncidentCredited` feed billing: they become support lines on the reseller's invoice for
the period of their time. `CertificationChanged` says whether a reseller pays ticket fees, and
`TierOneProgramActivated` starts the distributor's 10% discount that billing applies to its cost price.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import ClassVar, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from bss.events import topics
from bss.events.contracts.value_types import (
    CountryCode,
    Currency,
    Name,
    NonNegativeAmount,
    Percent,
    Severity,
    Text,
    UtcDatetime,
    Uuid,
)
from bss.events.envelope import EventData

SlaTarget = Literal["first_response", "temporary_solution", "permanent_resolution"]
TicketResolution = Literal[
    "solved", "workaround", "fixed_in_next_release", "cannot_reproduce", "duplicate", "out_of_scope"
]

# Ids used by the examples.
_RESELLER = "0190c3a1-2000-7000-8000-000000000200"
_SUBSCRIPTION = "0190c3a1-3000-7000-8000-000000000300"
_TICKET = "0190c3a3-6000-7000-8000-000000000600"
_CHARGE = "0190c3a3-6100-7000-8000-000000000610"
_OPENED = datetime(2024, 3, 4, 9, 15, tzinfo=UTC)


class SlaDueTimes(BaseModel):
    """When each SLA target of a ticket is due, pauses and severity changes included."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    first_response: UtcDatetime = Field(description="First response due.")
    temporary_solution: UtcDatetime | None = Field(
        description="Temporary solution due; null where the severity has none (D)."
    )
    permanent_resolution: UtcDatetime | None = Field(
        description="Permanent resolution due; null for 'next release' (D)."
    )


_DUE_A = SlaDueTimes(
    first_response=datetime(2024, 3, 4, 13, 15, tzinfo=UTC),
    temporary_solution=datetime(2024, 3, 5, 9, 15, tzinfo=UTC),
    permanent_resolution=datetime(2024, 3, 25, 9, 15, tzinfo=UTC),
)


class _TicketEvent(EventData):
    """Fields every ticket event carries; the ticket is the aggregate and the Kafka key."""

    topic: ClassVar[str] = topics.SUPPORT

    ticket_id: Uuid = Field(description="The support ticket.")
    reseller_id: Uuid = Field(description="The reseller who opened it.")

    def subject(self) -> str:
        return self.ticket_id


class TicketOpenedV1(_TicketEvent):
    """A reseller opened a support ticket; its SLA clocks start."""

    event_type: ClassVar[str] = "bss.support.TicketOpened.v1"

    title: Name = Field(description="Short statement of the issue.")
    severity: Severity = Field(description="Severity set at opening: A critical, B high, C normal, D low.")
    opened_at: UtcDatetime = Field(description="When the ticket was opened (may be backdated on import).")
    country: CountryCode = Field(description="Reseller's country, for the cases-per-region report.")
    customer_id: Uuid | None = Field(default=None, description="The reseller's customer affected, if any.")
    incidents: int = Field(default=1, ge=1, description="Distinct technical issues (incidents) reported.")
    product_build: Name | None = Field(default=None, description="Product build number installed.")
    due: SlaDueTimes = Field(description="SLA due times under the opening severity.")

    @classmethod
    def example(cls) -> Self:
        return cls(
            ticket_id=_TICKET,
            reseller_id=_RESELLER,
            title="Backup recovery fails with 'Archive is corrupted' on all Hyper-V machines",
            severity="A",
            opened_at=_OPENED,
            country="DE",
            product_build="24.3.37719",
            due=_DUE_A,
        )


class TicketSeverityChangedV1(_TicketEvent):
    """Support changed a ticket's severity; every due time is recomputed from the opening."""

    event_type: ClassVar[str] = "bss.support.TicketSeverityChanged.v1"

    from_severity: Severity = Field(description="Severity before the change.")
    to_severity: Severity = Field(description="Severity from now on.")
    changed_at: UtcDatetime = Field(description="When the severity changed.")
    reason: Text | None = Field(default=None, description="Why, for people.")
    due: SlaDueTimes = Field(description="Due times recomputed under the new severity, pauses replayed.")

    @model_validator(mode="after")
    def _changes(self) -> Self:
        if self.from_severity == self.to_severity:
            raise ValueError("a severity change changes the severity")
        return self

    @classmethod
    def example(cls) -> Self:
        return cls(
            ticket_id=_TICKET,
            reseller_id=_RESELLER,
            from_severity="A",
            to_severity="C",
            changed_at=datetime(2024, 3, 4, 11, 0, tzinfo=UTC),
            reason="Only one machine affected, a workaround exists.",
            due=SlaDueTimes(
                first_response=datetime(2024, 3, 4, 17, 15, tzinfo=UTC),
                temporary_solution=datetime(2024, 3, 7, 9, 15, tzinfo=UTC),
                permanent_resolution=datetime(2024, 4, 3, 9, 15, tzinfo=UTC),
            ),
        )


class TicketResolvedV1(_TicketEvent):
    """A ticket is resolved; carries what the resolution-time reports need."""

    event_type: ClassVar[str] = "bss.support.TicketResolved.v1"

    severity: Severity = Field(description="Severity at resolution.")
    opened_at: UtcDatetime = Field(description="When the ticket was opened.")
    first_response_at: UtcDatetime | None = Field(description="First reply to the reseller; null if none.")
    resolved_at: UtcDatetime = Field(description="When it was resolved.")
    paused_seconds: int = Field(ge=0, description="Time waiting on the reseller, not counted against the SLA.")
    resolution: TicketResolution = Field(description="How it was resolved.")
    confirmed_defect: bool = Field(description="A confirmed platform or product defect: no ticket fee is due for it.")

    @model_validator(mode="after")
    def _in_order(self) -> Self:
        if self.resolved_at < self.opened_at:
            raise ValueError("a ticket is resolved after it is opened")
        return self

    @classmethod
    def example(cls) -> Self:
        return cls(
            ticket_id=_TICKET,
            reseller_id=_RESELLER,
            severity="C",
            opened_at=_OPENED,
            first_response_at=datetime(2024, 3, 4, 10, 2, tzinfo=UTC),
            resolved_at=datetime(2024, 3, 12, 15, 30, tzinfo=UTC),
            paused_seconds=86_400,
            resolution="workaround",
            confirmed_defect=False,
        )


class SlaBreachedV1(_TicketEvent):
    """An SLA target of a ticket passed its due time unmet; it stays breached after severity changes."""

    event_type: ClassVar[str] = "bss.support.SlaBreached.v1"

    target: SlaTarget = Field(description="The target breached.")
    severity: Severity = Field(description="Severity the due time was computed under.")
    due_at: UtcDatetime = Field(description="When the target was due.")
    breached_at: UtcDatetime = Field(description="When the breach was detected (at or after `due_at`).")

    @model_validator(mode="after")
    def _after_due(self) -> Self:
        if self.breached_at < self.due_at:
            raise ValueError("a target is breached only after its due time")
        return self

    @classmethod
    def example(cls) -> Self:
        return cls(
            ticket_id=_TICKET,
            reseller_id=_RESELLER,
            target="first_response",
            severity="A",
            due_at=_DUE_A.first_response,
            breached_at=datetime(2024, 3, 4, 13, 16, tzinfo=UTC),
        )


class IncidentChargedV1(_TicketEvent):
    """A support charge for billing: a ticket fee (non-certified reseller) or a paid incident."""

    event_type: ClassVar[str] = "bss.support.IncidentCharged.v1"

    charge_id: Uuid = Field(description="The charge; a later credit refers to it.")
    subscription_id: Uuid = Field(description="The reseller's contract subscription billed with the charge.")
    kind: Literal["ticket_fee", "paid_incident"] = Field(
        description="ticket_fee: a non-certified reseller's fee per ticket; paid_incident: beyond the quota."
    )
    incident_id: Uuid | None = Field(default=None, description="The incident, for a paid incident.")
    amount: NonNegativeAmount = Field(description="Amount charged, before tax.")
    currency: Currency = Field(description="ISO 4217 code of the amount.")
    charged_at: UtcDatetime = Field(description="When charged; the invoice of its month carries it.")
    description: Text = Field(description="Invoice line text.")

    @classmethod
    def example(cls) -> Self:
        return cls(
            ticket_id=_TICKET,
            reseller_id=_RESELLER,
            charge_id=_CHARGE,
            subscription_id=_SUBSCRIPTION,
            kind="ticket_fee",
            amount=Decimal("45.00"),
            currency="EUR",
            charged_at=_OPENED,
            description="Support ticket fee (non-certified service provider)",
        )


class IncidentCreditedV1(_TicketEvent):
    """A support credit: a charge reversed, a paid-incident credit, or an incident returned to the quota.

    A previously unknown bug earns a quota credit or a paid-incident credit; a confirmed defect reverses the
    ticket fee. Money credits become negative support lines on the invoice; quota credits carry no money.
    """

    event_type: ClassVar[str] = "bss.support.IncidentCredited.v1"

    credit_id: Uuid = Field(description="The credit.")
    subscription_id: Uuid = Field(description="The reseller's contract subscription credited.")
    kind: Literal["charge_reversal", "paid_incident_credit", "quota_credit"] = Field(
        description="charge_reversal: cancels `charge_id`; paid_incident_credit: money off paid incidents; "
        "quota_credit: incidents returned to the annual quota (no money)."
    )
    charge_id: Uuid | None = Field(default=None, description="The charge reversed, for a charge_reversal.")
    amount: NonNegativeAmount | None = Field(default=None, description="Amount credited, for money credits.")
    currency: Currency | None = Field(default=None, description="ISO 4217 code, for money credits.")
    quota_incidents: int | None = Field(default=None, ge=1, description="Incidents returned, for a quota_credit.")
    credited_at: UtcDatetime = Field(description="When credited; the invoice of its month carries it.")
    reason: Text = Field(description="Why, for people (and the invoice line text).")

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        money = self.amount is not None and self.currency is not None
        if self.kind == "quota_credit":
            if self.quota_incidents is None or self.amount is not None or self.currency is not None:
                raise ValueError("a quota_credit states quota_incidents and no amount")
        elif not money or self.quota_incidents is not None:
            raise ValueError("a money credit states amount and currency, and no quota_incidents")
        if (self.kind == "charge_reversal") != (self.charge_id is not None):
            raise ValueError("charge_id is set for a charge_reversal, and only for it")
        return self

    @classmethod
    def example(cls) -> Self:
        return cls.model_validate(
            {
                "ticket_id": _TICKET,
                "reseller_id": _RESELLER,
                "credit_id": "0190c3a3-6200-7000-8000-000000000620",
                "subscription_id": _SUBSCRIPTION,
                "kind": "charge_reversal",
                "charge_id": _CHARGE,
                "amount": "45.00",
                "currency": "EUR",
                "credited_at": datetime(2024, 3, 12, 15, 30, tzinfo=UTC),
                "reason": "Confirmed product defect: ticket fee waived.",
            }
        )


class CertificationChangedV1(EventData):
    """A reseller's certification changed; a non-certified reseller pays a fee per ticket."""

    event_type: ClassVar[str] = "bss.support.CertificationChanged.v1"
    topic: ClassVar[str] = topics.SUPPORT

    reseller_id: Uuid = Field(description="The reseller (the aggregate).")
    certified: bool = Field(description="Certified service provider from `effective_at`.")
    change: Literal["certified", "renewed", "expired", "revoked", "engineers_below_minimum"] = Field(
        description="What happened."
    )
    certified_engineers: int = Field(ge=0, description="Employees holding a valid certification.")
    valid_until: date | None = Field(
        description="Last day of validity (18 months after certification); null when not certified."
    )
    effective_at: UtcDatetime = Field(description="When the new status applies.")

    def subject(self) -> str:
        return self.reseller_id

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.certified and (self.certified_engineers < 2 or self.valid_until is None):
            raise ValueError("a certified reseller has at least two certified engineers and a validity end")
        if not self.certified and self.valid_until is not None:
            raise ValueError("a non-certified reseller has no validity end")
        return self

    @classmethod
    def example(cls) -> Self:
        return cls(
            reseller_id=_RESELLER,
            certified=True,
            change="certified",
            certified_engineers=3,
            valid_until=date(2025, 9, 30),
            effective_at=datetime(2024, 4, 1, 0, 0, tzinfo=UTC),
        )


class TierOneProgramActivatedV1(EventData):
    """The distributor finished Tier 1 support onboarding (step 7): its discount on cost price starts."""

    event_type: ClassVar[str] = "bss.support.TierOneProgramActivated.v1"
    topic: ClassVar[str] = topics.SUPPORT

    program_id: Uuid = Field(description="The distributor's Tier 1 program (the aggregate).")
    discount_percent: Percent = Field(default=Decimal(10), description="Discount on the vendor price, in percent.")
    checkpoint_passed_on: date = Field(description="Date the checkpoint (step 6) was passed.")
    effective_from: date = Field(description="First day the discount applies.")
    activated_at: UtcDatetime = Field(description="When the activation was recorded.")

    def subject(self) -> str:
        return self.program_id

    @classmethod
    def example(cls) -> Self:
        return cls(
            program_id="0190c3a3-7000-7000-8000-000000000700",
            checkpoint_passed_on=date(2024, 6, 28),
            effective_from=date(2024, 7, 1),
            activated_at=datetime(2024, 6, 28, 15, 0, tzinfo=UTC),
        )
