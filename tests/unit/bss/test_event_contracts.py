"""Event contracts: every type has an example that survives the CloudEvents envelope and matches its schema."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, ClassVar

import pytest
from jsonschema import Draft202012Validator, FormatChecker
from pydantic import ValidationError

from bss.events import topics
from bss.events.contracts.billing import InvoiceIssuedV1, UsageRecordedV1
from bss.events.contracts.catalog import FxRatesPublishedV1, PriceBookPublishedV1, ProductChangedV1
from bss.events.contracts.subscriptions import (
    RampUpGrantedV1,
    SubscriptionCreatedV1,
    SubscriptionTierChangedV1,
    TrialConvertedV1,
)
from bss.events.contracts.support import IncidentCreditedV1, TicketOpenedV1
from bss.events.envelope import CloudEvent, EventData, make_event
from bss.events.registry import ALL_CONTRACTS, contract_for, example_of, producing_service
from bss.events.schemagen import SCHEMA_DIR, contract_schema, schema_filename

SERVICES = {"catalog", "subscriptions", "billing", "support"}
AGGREGATE_FIELD: dict[str, str] = {
    "ProductPublishedV1": "product_id",
    "ProductChangedV1": "product_id",
    "ProductDeactivatedV1": "product_id",
    "PriceBookPublishedV1": "price_book_id",
    "FxRatesPublishedV1": "rate_table_id",
    "ResellerRegisteredV1": "reseller_id",
    "ResellerStatusChangedV1": "reseller_id",
    "ResellerBillingProfileChangedV1": "reseller_id",
    "SubscriptionCreatedV1": "subscription_id",
    "TrialConvertedV1": "subscription_id",
    "TrialExpiredV1": "subscription_id",
    "SubscriptionTierChangedV1": "subscription_id",
    "RampUpGrantedV1": "subscription_id",
    "SubscriptionSuspendedV1": "subscription_id",
    "SubscriptionResumedV1": "subscription_id",
    "SubscriptionCancelledV1": "subscription_id",
    "UsageRecordedV1": "subscription_id",
    "UsageRejectedV1": "subscription_id",
    "InvoiceIssuedV1": "invoice_id",
    "InvoiceVoidedV1": "invoice_id",
    "CreditNoteIssuedV1": "invoice_id",
    "TicketOpenedV1": "ticket_id",
    "TicketSeverityChangedV1": "ticket_id",
    "TicketResolvedV1": "ticket_id",
    "SlaBreachedV1": "ticket_id",
    "IncidentChargedV1": "ticket_id",
    "IncidentCreditedV1": "ticket_id",
    "CertificationChangedV1": "reseller_id",
    "TierOneProgramActivatedV1": "program_id",
}
RECORDED_AT = datetime(2024, 1, 1, 0, 0, 5, tzinfo=UTC)


def _aware_date_time(value: object) -> bool:
    """RFC 3339 date-time with an offset (jsonschema checks it only with an optional package installed)."""
    return not isinstance(value, str) or datetime.fromisoformat(value).tzinfo is not None


FORMATS = FormatChecker()
FORMATS.checks("date-time", raises=ValueError)(_aware_date_time)


by_name = pytest.mark.parametrize("contract", ALL_CONTRACTS, ids=lambda c: c.__name__)


def usage_data(**changes: Any) -> dict[str, Any]:
    return {**UsageRecordedV1.example().model_dump(mode="json"), **changes}


def committed_schema(contract: type[EventData]) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((SCHEMA_DIR / schema_filename(contract.event_type)).read_text("utf-8"))
    return loaded


# --- the registry ------------------------------------------------------------------------------------


def test_event_types_are_unique() -> None:
    event_types = [contract.event_type for contract in ALL_CONTRACTS]
    assert len(set(event_types)) == len(event_types)


def test_every_contract_is_registered_once() -> None:
    assert len(set(ALL_CONTRACTS)) == len(ALL_CONTRACTS) == len(AGGREGATE_FIELD)


@by_name
def test_event_type_is_bss_service_name_and_version(contract: type[EventData]) -> None:
    prefix, service, name, version = contract.event_type.split(".")
    assert (prefix, version) == ("bss", "v1")
    assert service in SERVICES
    assert contract.__name__ == f"{name}V1"
    assert contract.__module__ == f"bss.events.contracts.{service}"


@by_name
def test_contract_is_published_on_its_services_topic_and_usage_on_the_usage_topic(
    contract: type[EventData],
) -> None:
    expected = topics.USAGE if contract is UsageRecordedV1 else f"bss.{producing_service(contract)}"
    assert contract.topic == expected


@by_name
def test_contract_for_finds_the_contract_of_its_event_type(contract: type[EventData]) -> None:
    assert contract_for(contract.event_type) is contract


def test_contract_for_an_unknown_event_type_is_none() -> None:
    assert contract_for("bss.billing.UsageRecorded.v99") is None


# --- examples ----------------------------------------------------------------------------------------


@by_name
def test_every_contract_declares_its_own_example(contract: type[EventData]) -> None:
    assert isinstance(example_of(contract), contract)


def test_a_contract_without_its_own_example_is_refused() -> None:
    class NoExampleV1(EventData):
        event_type: ClassVar[str] = "bss.test.NoExample.v1"
        topic: ClassVar[str] = "bss.test"

    class InheritedExampleV2(UsageRecordedV1):
        event_type: ClassVar[str] = "bss.billing.UsageRecorded.v2"

    for contract in (NoExampleV1, InheritedExampleV2):
        with pytest.raises(LookupError, match="declares no example"):
            example_of(contract)


@by_name
def test_subject_is_the_aggregate_id(contract: type[EventData]) -> None:
    example = example_of(contract)
    assert example.subject() == getattr(example, AGGREGATE_FIELD[contract.__name__])


# --- round trip and schema ---------------------------------------------------------------------------


@by_name
def test_example_round_trips_through_the_cloudevents_envelope(contract: type[EventData]) -> None:
    example = example_of(contract)
    raw = make_event(example, source=f"/bss/{producing_service(contract)}", time=RECORDED_AT).to_json()

    received = CloudEvent.from_json(raw)

    assert received.type == contract.event_type
    assert received.subject == example.subject()
    assert received.payload(contract) == example


@by_name
def test_example_data_validates_against_the_committed_json_schema(contract: type[EventData]) -> None:
    event = make_event(example_of(contract), source="/bss/test", time=RECORDED_AT)
    data = json.loads(event.to_json())["data"]
    schema = committed_schema(contract)

    Draft202012Validator.check_schema(schema)
    Draft202012Validator(schema, format_checker=FORMATS).validate(data)


@by_name
def test_every_property_of_a_contract_has_a_description(contract: type[EventData]) -> None:
    schema = contract_schema(contract)
    objects = [schema, *schema.get("$defs", {}).values()]
    undocumented = [
        f"{obj.get('title')}.{name}"
        for obj in objects
        for name, prop in obj.get("properties", {}).items()
        if not prop.get("description")
    ]
    assert undocumented == []


# --- what a consumer can rely on ---------------------------------------------------------------------


def test_consumer_ignores_fields_a_newer_producer_added() -> None:
    data = usage_data(unit="GB", collector_version="2.4.1")
    event = CloudEvent(id="e-1", source="/collector", type=UsageRecordedV1.event_type, time=RECORDED_AT, data=data)

    assert event.payload(UsageRecordedV1) == UsageRecordedV1.example()


@pytest.mark.parametrize("quantity", [1.5, 2.0, float("nan")])
def test_float_quantity_is_refused(quantity: float) -> None:
    with pytest.raises(ValidationError, match="never floats"):
        UsageRecordedV1.model_validate(usage_data(quantity=quantity))


def test_float_quantity_in_json_is_refused() -> None:
    raw = json.dumps(
        {
            "id": "e-2",
            "source": "/collector",
            "type": UsageRecordedV1.event_type,
            "time": "2024-01-01T00:00:00Z",
            "data": usage_data(quantity=12.5),
        }
    )
    with pytest.raises(ValidationError, match="never floats"):
        CloudEvent.from_json(raw).payload(UsageRecordedV1)


@pytest.mark.parametrize("quantity", ["NaN", "Infinity", "-Infinity", "twelve", "-1"])
def test_non_finite_malformed_or_negative_quantity_is_refused(quantity: str) -> None:
    with pytest.raises(ValidationError):
        UsageRecordedV1.model_validate(usage_data(quantity=quantity))


@pytest.mark.parametrize(("given", "parsed"), [("1536.25", Decimal("1536.25")), (3, Decimal(3))])
def test_quantity_accepts_decimal_strings_and_integers(given: object, parsed: Decimal) -> None:
    assert UsageRecordedV1.model_validate(usage_data(quantity=given)).quantity == parsed


def test_decimals_are_written_in_plain_notation() -> None:
    usage = UsageRecordedV1.model_validate(usage_data(quantity="1.5E+15"))
    assert usage.model_dump(mode="json")["quantity"] == "1500000000000000"


@pytest.mark.parametrize("measured_at", [datetime(2024, 1, 1, 12, 0), "2024-01-01T12:00:00"])  # noqa: DTZ001
def test_naive_datetime_is_refused(measured_at: object) -> None:
    with pytest.raises(ValidationError, match="timezone"):
        UsageRecordedV1.model_validate(usage_data(measured_at=measured_at))


def test_times_are_converted_to_utc() -> None:
    usage = UsageRecordedV1.model_validate(usage_data(measured_at="2024-01-01T02:30:00+02:00"))
    assert usage.measured_at == datetime(2024, 1, 1, 0, 30, tzinfo=UTC)
    assert usage.model_dump(mode="json")["measured_at"] == "2024-01-01T00:30:00Z"


def test_unknown_currency_is_refused_and_codes_are_upper_cased() -> None:
    data = FxRatesPublishedV1.example().model_dump(mode="json")
    data["rates"] = [{"currency": "eur", "units_per_usd": "0.9"}]
    assert FxRatesPublishedV1.model_validate(data).rates[0].currency == "EUR"
    data["rates"] = [{"currency": "EUX", "units_per_usd": "0.9"}]
    with pytest.raises(ValidationError, match="ISO 4217"):
        FxRatesPublishedV1.model_validate(data)


def test_ids_must_be_uuids() -> None:
    with pytest.raises(ValidationError, match="not a UUID"):
        UsageRecordedV1.model_validate(usage_data(subscription_id="sub-42"))


def test_contracts_are_frozen() -> None:
    usage = UsageRecordedV1.example()
    with pytest.raises(ValidationError, match="frozen"):
        usage.quantity = Decimal(0)  # type: ignore[misc]


# --- rules the contracts carry -----------------------------------------------------------------------


def with_changes(example: EventData, **changes: Any) -> dict[str, Any]:
    return {**example.model_dump(mode="json"), **changes}


def test_invoice_lines_must_add_up_to_the_subtotal() -> None:
    with pytest.raises(ValidationError, match="do not add up"):
        InvoiceIssuedV1.model_validate(with_changes(InvoiceIssuedV1.example(), subtotal="855.93", total="925.26"))


def test_invoice_amounts_respect_the_currencys_minor_unit() -> None:
    data = with_changes(InvoiceIssuedV1.example(), currency="JPY")
    with pytest.raises(ValidationError, match="more decimals than JPY allows"):
        InvoiceIssuedV1.model_validate(data)


def test_a_trial_states_its_end_and_a_paid_subscription_does_not() -> None:
    trial = SubscriptionCreatedV1.example()
    with pytest.raises(ValidationError, match="trial_ends_at"):
        SubscriptionCreatedV1.model_validate(with_changes(trial, trial_ends_at=None))
    with pytest.raises(ValidationError, match="trial_ends_at"):
        SubscriptionCreatedV1.model_validate(with_changes(trial, kind="paid"))


def test_a_tier_change_takes_effect_on_the_first_day_of_a_billing_period() -> None:
    change = SubscriptionTierChangedV1.example()
    with pytest.raises(ValidationError, match="first day of a month"):
        SubscriptionTierChangedV1.model_validate(with_changes(change, effective_from=date(2024, 3, 14)))


def test_a_ramp_up_carries_the_window_of_its_cycles_and_an_older_event_without_it_still_reads() -> None:
    granted = RampUpGrantedV1.example()  # 3 cycles, 2023-10-01 to 2023-12-01
    assert (granted.first_period, granted.last_period) == (date(2023, 10, 1), date(2023, 12, 1))
    with pytest.raises(ValidationError, match="exactly `cycles`"):
        RampUpGrantedV1.model_validate(with_changes(granted, last_period=date(2023, 11, 1)))
    with pytest.raises(ValidationError, match="or neither"):
        RampUpGrantedV1.model_validate(with_changes(granted, first_period=None))
    older = granted.model_dump(mode="json")
    del older["last_period"]
    assert RampUpGrantedV1.model_validate(older).last_period is None


def test_a_conversion_carries_both_ends_of_the_ramp_up_window_or_neither() -> None:
    converted = TrialConvertedV1.example()
    with pytest.raises(ValidationError, match="or neither"):
        TrialConvertedV1.model_validate(with_changes(converted, ramp_up_last_period=None))
    with pytest.raises(ValidationError, match="comes before its first"):
        TrialConvertedV1.model_validate(with_changes(converted, ramp_up_last_period=date(2023, 9, 1)))
    without = with_changes(converted, ramp_up_first_period=None, ramp_up_last_period=None)
    assert TrialConvertedV1.model_validate(without).ramp_up_first_period is None


def test_a_product_rename_states_the_previous_name() -> None:
    renamed = ProductChangedV1.example()
    with pytest.raises(ValidationError, match="previous_name"):
        ProductChangedV1.model_validate(with_changes(renamed, previous_name=None))


def test_a_custom_price_book_names_its_reseller() -> None:
    book = PriceBookPublishedV1.example()
    with pytest.raises(ValidationError, match="names its reseller"):
        PriceBookPublishedV1.model_validate(with_changes(book, kind="reseller_custom"))


def test_a_quota_credit_carries_no_money() -> None:
    credit = IncidentCreditedV1.example()
    data = with_changes(credit, kind="quota_credit", charge_id=None, quota_incidents=1)
    with pytest.raises(ValidationError, match="quota_incidents and no amount"):
        IncidentCreditedV1.model_validate(data)


def test_ticket_due_times_are_utc_instants() -> None:
    opened = TicketOpenedV1.example()
    assert opened.due.first_response.tzinfo is UTC


def test_example_helper_refuses_an_example_of_another_type() -> None:
    class WrongExampleV1(EventData):
        event_type: ClassVar[str] = "bss.test.WrongExample.v1"
        topic: ClassVar[str] = "bss.test"

        @classmethod
        def example(cls) -> UsageRecordedV1:
            return UsageRecordedV1.example()

    with pytest.raises(TypeError, match="returned UsageRecordedV1"):
        example_of(WrongExampleV1)
