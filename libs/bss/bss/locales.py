"""Locales of documents for people (invoices): BCP 47 language tags that Babel has the formats of."""

from __future__ import annotations

from babel import Locale, UnknownLocaleError


def canonical_locale(tag: str) -> str:
    """The BCP 47 form (`de-CH`, `en`, `ja-JP`) of a language tag Babel knows (`de_ch` accepted); ValueError
    saying what is wrong otherwise."""
    cleaned = tag.strip().replace("_", "-")
    if not cleaned or len(cleaned) > 35 or not all(part.isascii() and part.isalnum() for part in cleaned.split("-")):
        raise ValueError("a language tag such as en, de-DE or ja-JP")
    try:
        locale = Locale.parse(cleaned, sep="-")
    except (UnknownLocaleError, ValueError) as exc:
        raise ValueError(f"{tag!r} is not a locale with known formats (e.g. en, de-DE, fr-CH, ja-JP)") from exc
    parts = [locale.language, locale.script, locale.territory]
    return "-".join(part for part in parts if part)
