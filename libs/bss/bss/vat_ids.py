"""EU VAT identification numbers: which countries are member states, and whether an id is well formed.

A well-formed id (its country prefix, length and check digits, by `python-stdnum`) is what an invoice may show and
what the reverse charge needs (docs/domain.md, "Tax"). Whether the id is registered is VIES's answer, which this
suite does not ask.
"""

from __future__ import annotations

from stdnum.eu import vat as eu_vat
from stdnum.exceptions import ValidationError

EU_MEMBER_STATES = frozenset(code.upper() for code in eu_vat.MEMBER_STATES if code != "xi")
"""The EU member states by ISO 3166 code (stdnum's `el` for Greece is `GR` in ISO 3166)."""
_VAT_PREFIX = {"GR": "EL"}


def valid_eu_vat_id(vat_id: str | None, country: str) -> bool:
    """Whether `vat_id` is a well-formed VAT id (check digits included) of the member state `country`."""
    if not vat_id:
        return False
    try:
        compact = eu_vat.compact(vat_id)
    except ValidationError:  # not even the form of an EU VAT id (a Swiss CHE-... number, letters only, ...)
        return False
    prefix = _VAT_PREFIX.get(country.upper(), country.upper())
    return compact.startswith(prefix) and eu_vat.is_valid(compact)


def vat_id_problem(vat_id: str | None, country: str) -> str | None:
    """Why `vat_id` cannot be the VAT id of a business in `country` (None: it can, or the country is not in the
    EU, whose tax numbers this suite does not check)."""
    if vat_id and country.upper() in EU_MEMBER_STATES and not valid_eu_vat_id(vat_id, country):
        return f"not a valid VAT id of {country.upper()} (prefix, length and check digits)"
    return None
