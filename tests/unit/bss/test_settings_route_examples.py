"""The settings routes document, for every kind, an example that works whatever the kind: the kind's own scope
and value, a change effective from a day far enough ahead that no month then is ever invoiced, the reads asking
about that day and the removal after it (`bss.api.settings_routes`)."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel
from sqlalchemy import MetaData

from bss.api.settings_routes import settings_router
from bss.effective_settings import DEFAULT_SCOPE, SettingKind, SettingsStore, define_table, upper_code


class Rate(BaseModel):
    rate_percent: str


class Terms(BaseModel):
    days: int


RATES = SettingKind(
    name="tax-rates",
    title="Tax rate",
    description="A country's rate.",
    value_type=Rate,
    scope_label="country",
    normalize_scope=upper_code(2, "a country code"),
    example_scope="DE",
    example_value={"rate_percent": "19"},
)
TERMS = SettingKind(
    name="payment-terms",
    title="Payment terms",
    description="Days to pay.",
    value_type=Terms,
    scope_label="*",
    normalize_scope=lambda raw: raw,
    example_scope=DEFAULT_SCOPE,
    example_value={"days": 14},
    removable=False,
    example_effective_from=date(2025, 1, 1),
)


def document() -> dict[str, Any]:
    app = FastAPI()
    app.include_router(settings_router(SettingsStore(define_table(MetaData()), [RATES, TERMS])))
    return app.openapi()


def parameter_example(operation: dict[str, Any], name: str) -> Any:
    parameter = next(p for p in operation["parameters"] if p["name"] == name)
    return next(iter(parameter["examples"].values()))["value"]


def test_each_kind_documents_its_own_scope_value_and_days() -> None:
    paths = document()["paths"]
    rates = paths["/v1/settings/tax-rates/{scope}"]
    body = next(iter(rates["put"]["requestBody"]["content"]["application/json"]["examples"].values()))["value"]
    assert parameter_example(rates["put"], "scope") == "DE"
    assert body["value"] == {"rate_percent": "19"}
    assert body["effective_from"] == "2099-01-01"  # the default: no month that far is ever invoiced
    assert parameter_example(rates["get"], "as_of") == "2099-01-01"  # the reads find what the change set
    assert parameter_example(paths["/v1/settings/tax-rates"]["get"], "as_of") == "2099-01-01"
    assert parameter_example(rates["delete"], "effective_from") == "2099-07-01"  # after it: there is one to remove
    terms = paths["/v1/settings/payment-terms/{scope}"]
    assert parameter_example(terms["put"], "scope") == "*"
    assert parameter_example(terms["get"], "as_of") == "2025-01-01"  # a kind may choose its own day
    assert "delete" not in terms  # a value that cannot be removed has no removal
    assert parameter_example(paths["/v1/settings/changes"]["get"], "kind") == "tax-rates"


def test_every_settings_operation_says_what_it_does_and_who_may_call_it() -> None:
    for path, item in document()["paths"].items():
        for method, operation in item.items():
            description = operation.get("description", "")
            assert "admins" in description.lower(), f"{method} {path}: {description!r}"
