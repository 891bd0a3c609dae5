"""The escalation template (seeds 001, 002): what a ticket must state before it goes to the vendor."""

from __future__ import annotations

from collections.abc import Mapping

TEMPLATE_FIELDS: dict[str, str] = {
    "symptoms": "explain the symptoms of the issue",
    "error_messages": "give the error messages or error output (or 'none')",
    "steps_to_reproduce": "list the steps to recreate the issue",
    "expected_outcome": "define the action or outcome expected from the product",
    "build_number": "give the product build number installed",
    "business_impact": "state how this affects the business",
    "first_occurrence": "say whether it happened before or is recurring",
    "recent_changes": "list hardware, software or environment changes made recently",
    "contact": "give the contact for the vendor's follow-up",
}


def missing_template_fields(template: Mapping[str, object]) -> dict[str, str]:
    """Every template field that is absent or blank, with what to fill in: all of them must be given (seed 002)."""
    missing: dict[str, str] = {}
    for name, hint in TEMPLATE_FIELDS.items():
        value = template.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            missing[name] = hint
    return missing
