"""The document locales and the EU VAT id check that subscriptions and billing share (docs/domain.md, "Billing
profiles", "Tax")."""

from __future__ import annotations

import pytest

from bss.locales import canonical_locale
from bss.vat_ids import EU_MEMBER_STATES, valid_eu_vat_id, vat_id_problem


@pytest.mark.parametrize(
    ("tag", "canonical"),
    [("en", "en"), ("de_DE", "de-DE"), ("de-ch", "de-CH"), ("ja-JP", "ja-JP"), (" fr-CH ", "fr-CH")],
)
def test_locale_is_a_bcp47_tag_babel_knows_in_its_canonical_form(tag: str, canonical: str) -> None:
    assert canonical_locale(tag) == canonical


@pytest.mark.parametrize("tag", ["", "xx", "en-US-x", "de DE", "e\u0301n", "a" * 40, "../en"])
def test_locale_refuses_what_has_no_known_formats(tag: str) -> None:
    with pytest.raises(ValueError, match=r"language tag|known formats"):
        canonical_locale(tag)


@pytest.mark.parametrize(
    ("vat_id", "country", "valid"),
    [
        ("DE136695976", "DE", True),
        ("DE 136 695 976", "DE", True),
        ("DE123456789", "DE", False),  # check digit
        ("FR40303265045", "DE", False),  # another member state's id
        ("EL094259216", "GR", True),  # Greece's VAT prefix is EL
        (None, "DE", False),
        ("CHE-116.281.710 MWST", "FR", False),  # a Swiss number given for a French company: no EU id, no crash
        ("not a number", "DE", False),
    ],
)
def test_vat_id_is_well_formed_for_its_member_state(vat_id: str | None, country: str, valid: bool) -> None:
    assert valid_eu_vat_id(vat_id, country) is valid


def test_vat_id_problem_only_for_eu_countries_and_only_when_given() -> None:
    assert vat_id_problem("DE123456789", "DE") is not None
    assert vat_id_problem("anything", "CH") is None  # non-EU tax numbers are not checked
    assert vat_id_problem(None, "DE") is None
    assert {"DE", "FR", "GR"} <= EU_MEMBER_STATES
    assert "GB" not in EU_MEMBER_STATES
