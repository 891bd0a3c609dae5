"""The world the sample book is drawn from: the resellers' countries with their currency, locale, cities, streets,
company names and legal forms, and well-formed tax ids made with their check digits (python-stdnum).

Currencies are those the seeded catalog prices without FX rates (the six price-list currencies, docs/domain.md
"FX rates"): a fresh suite has no FX rates, so Swiss, Swedish and Polish resellers are invoiced in EUR here.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from stdnum.au import abn
from stdnum.ch import vat as ch_vat
from stdnum.eu import vat as eu_vat
from stdnum.gb import vat as gb_vat

City = tuple[str, str, str | None]
"""A city, its postal code and region (None where addresses do not name one)."""


@dataclass(frozen=True, slots=True)
class CountryProfile:
    code: str
    currency: str
    locales: tuple[str, ...]
    cities: tuple[City, ...]
    streets: tuple[str, ...]
    names: tuple[str, ...]
    legal_forms: tuple[str, ...]
    weight: int
    """How many of the distributor's resellers are here, relatively."""
    time_zone: str
    """Where its people work: the tickets' instants are written in this zone's offset, as a helpdesk export would."""


def _cities(text: str) -> tuple[City, ...]:
    """`City|postal code|region` entries separated by semicolons (an empty region is none)."""
    found = []
    for entry in text.split(";"):
        city, postal_code, region = entry.split("|")
        found.append((city, postal_code, region or None))
    return tuple(found)


COUNTRIES: tuple[CountryProfile, ...] = (
    CountryProfile(
        "DE",
        "EUR",
        ("de-DE",),
        _cities("Hamburg|20457|;München|80331|;Köln|50667|;Leipzig|04109|"),
        ("Hafenstraße", "Lindenallee", "Bahnhofstraße", "Am Sandtorkai"),
        ("Nordlicht", "Rheinland", "Hanse", "Müller", "Alpenblick", "Elbwerk", "Spree"),
        ("GmbH", "AG", "GmbH & Co. KG"),
        24,
        "Europe/Berlin",
    ),
    CountryProfile(
        "FR",
        "EUR",
        ("fr-FR",),
        _cities("Paris|75008|;Lyon|69002|;Nantes|44000|;Toulouse|31000|"),
        ("rue de la République", "avenue Foch", "quai des Chartrons", "boulevard Haussmann"),
        ("Lumière", "Azur", "Bretagne Numérique", "Provence", "Hexagone", "Séquoia"),
        ("SAS", "SARL", "SA"),
        16,
        "Europe/Paris",
    ),
    CountryProfile(
        "AT",
        "EUR",
        ("de-AT",),
        _cities("Wien|1010|;Graz|8010|;Linz|4020|"),
        ("Ringstraße", "Mariahilfer Straße", "Herrengasse"),
        ("Donau", "Tauern", "Wienerwald", "Alpin"),
        ("GmbH",),
        8,
        "Europe/Vienna",
    ),
    CountryProfile(
        "NL",
        "EUR",
        ("nl-NL",),
        _cities("Amsterdam|1012 AB|;Rotterdam|3011 AA|;Utrecht|3511 AA|"),
        ("Herengracht", "Coolsingel", "Oudegracht"),
        ("Polder", "Tulp", "Delta", "Grachten"),
        ("B.V.",),
        8,
        "Europe/Amsterdam",
    ),
    CountryProfile(
        "IT",
        "EUR",
        ("it-IT",),
        _cities("Milano|20121|MI;Roma|00184|RM;Torino|10121|TO"),
        ("Via Montenapoleone", "Via del Corso", "Corso Vittorio Emanuele II"),
        ("Dolomiti", "Laguna", "Vesuvio", "Tirreno"),
        ("S.r.l.", "S.p.A."),
        8,
        "Europe/Rome",
    ),
    CountryProfile(
        "BE",
        "EUR",
        ("nl-BE", "fr-BE"),
        _cities("Brussel|1000|;Antwerpen|2000|;Gent|9000|"),
        ("Louizalaan", "Meir", "Korenmarkt"),
        ("Schelde", "Ardennes", "Benelux"),
        ("BV", "SA"),
        5,
        "Europe/Brussels",
    ),
    CountryProfile(
        "SE",
        "EUR",
        ("sv-SE",),
        _cities("Stockholm|111 22|;Göteborg|411 04|;Malmö|211 20|"),
        ("Drottninggatan", "Kungsgatan", "Stortorget"),
        ("Norrsken", "Skärgård", "Örebro Moln", "Fjäll"),
        ("AB",),
        6,
        "Europe/Stockholm",
    ),
    CountryProfile(
        "PL",
        "EUR",
        ("pl-PL",),
        _cities("Warszawa|00-001|;Kraków|31-001|;Gdańsk|80-001|"),
        ("ul. Marszałkowska", "ul. Floriańska", "ul. Długa"),
        ("Wisła", "Bałtyk", "Tatry"),
        ("Sp. z o.o.",),
        5,
        "Europe/Warsaw",
    ),
    CountryProfile(
        "IE",
        "EUR",
        ("en-IE",),
        _cities("Dublin|D02 X285|;Cork|T12 W8F2|;Galway|H91 E2K7|"),
        ("Grafton Street", "Patrick Street", "Shop Street"),
        ("Shamrock", "Liffey", "Emerald", "Atlantic"),
        ("Ltd",),
        5,
        "Europe/Dublin",
    ),
    CountryProfile(
        "CH",
        "EUR",
        ("de-CH", "fr-CH"),
        _cities("Zürich|8001|ZH;Genève|1204|GE;Basel|4051|BS"),
        ("Bahnhofstrasse", "Rue du Rhône", "Freie Strasse"),
        ("Matterhorn", "Helvetia", "Léman", "Säntis"),
        ("AG", "SA"),
        8,
        "Europe/Zurich",
    ),
    CountryProfile(
        "GB",
        "GBP",
        ("en-GB",),
        _cities("London|EC2A 4NE|;Manchester|M1 1AE|;Edinburgh|EH1 1YZ|Scotland"),
        ("Old Street", "Deansgate", "Princes Street"),
        ("Thames", "Pennine", "Albion", "Highland"),
        ("Ltd", "plc"),
        14,
        "Europe/London",
    ),
    CountryProfile(
        "US",
        "USD",
        ("en-US",),
        _cities("Austin|78701|TX;Seattle|98101|WA;Boston|02108|MA;Denver|80202|CO"),
        ("Congress Avenue", "Pine Street", "Tremont Street", "Larimer Street"),
        ("Lone Star", "Cascade", "Liberty", "Frontier", "Keystone"),
        ("Inc.", "LLC"),
        20,
        "America/Chicago",
    ),
    CountryProfile(
        "JP",
        "JPY",
        ("ja-JP",),
        _cities("Tokyo|100-0005|Tokyo;Osaka|530-0001|Osaka;Fukuoka|810-0001|Fukuoka"),
        ("Marunouchi 1-9-1", "Umeda 3-1-3", "Tenjin 2-11-1"),
        ("Sakura", "Fuji", "Kaze", "Hikari"),
        ("K.K.", "G.K."),
        10,
        "Asia/Tokyo",
    ),
    CountryProfile(
        "AU",
        "AUD",
        ("en-AU",),
        _cities("Sydney|2000|NSW;Melbourne|3000|VIC;Brisbane|4000|QLD"),
        ("George Street", "Collins Street", "Queen Street"),
        ("Southern Cross", "Outback", "Coral"),
        ("Pty Ltd",),
        5,
        "Australia/Sydney",
    ),
    CountryProfile(
        "CA",
        "CAD",
        ("en-CA", "fr-CA"),
        _cities("Toronto|M5H 2N2|ON;Montréal|H2Y 1C6|QC;Vancouver|V6B 1A1|BC"),
        ("Bay Street", "Rue Saint-Jacques", "Granville Street"),
        ("Maple", "Laurentian", "Pacific Rim"),
        ("Inc.", "Ltd"),
        5,
        "America/Toronto",
    ),
)
"""EU member states, then the rest; every country the brief's distributor sells in."""

TRADES = ("IT Services", "Managed Services", "Cloud Solutions", "Backup Partners", "Data Care", "Networks", "Systems")
CONTACTS = ("Alex Morgan", "Jana Novak", "Luca Bianchi", "Sofia Lind", "Kenji Sato", "Marie Dubois", "Tom Fischer")


def _digits(rng: random.Random, count: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(count))


def _eu(
    prefix: str, make: Callable[[random.Random], str]
) -> tuple[Callable[[random.Random], str], Callable[[str], bool]]:
    return (lambda rng: prefix + make(rng)), eu_vat.is_valid


_ATTEMPTS = 100_000
TAX_IDS: dict[str, tuple[Callable[[random.Random], str], Callable[[str], bool]]] = {
    "DE": _eu("DE", lambda rng: rng.choice("123456789") + _digits(rng, 8)),
    "FR": _eu("FR", lambda rng: _digits(rng, 2) + rng.choice("123456789") + _digits(rng, 8)),
    "AT": _eu("ATU", lambda rng: _digits(rng, 8)),
    "NL": _eu("NL", lambda rng: _digits(rng, 9) + "B01"),
    "IT": _eu("IT", lambda rng: _digits(rng, 7) + f"{rng.randint(1, 100):03d}" + _digits(rng, 1)),
    "BE": _eu("BE", lambda rng: "0" + rng.choice("23456789") + _digits(rng, 8)),
    "SE": _eu("SE", lambda rng: rng.choice("25") + _digits(rng, 9) + "01"),
    "PL": _eu("PL", lambda rng: rng.choice("123456789") + _digits(rng, 9)),
    "IE": _eu("IE", lambda rng: _digits(rng, 7) + rng.choice("ABCDEFGHIJKLMNOPQRSTUVW")),
    "GB": (lambda rng: "GB" + rng.choice("123456789") + _digits(rng, 8), gb_vat.is_valid),
    "CH": (lambda rng: ch_vat.format("CHE" + rng.choice("123456789") + _digits(rng, 8) + "MWST"), ch_vat.is_valid),
    "AU": (lambda rng: abn.format(rng.choice("123456789") + _digits(rng, 10)), abn.is_valid),
}
"""How a well-formed tax id of each country is drawn: random digits until the check digits hold (about 1 in 10 to
1 in 1,000 draws). Countries without an entry (US, JP, CA) import without a tax id."""


def tax_id(country: str, rng: random.Random) -> str | None:
    """A tax id of `country` whose check digits hold (its EU VAT id for a member state), or None."""
    if country not in TAX_IDS:
        return None
    draw, valid = TAX_IDS[country]
    for _ in range(_ATTEMPTS):
        candidate = draw(rng)
        if valid(candidate):
            return candidate
    raise RuntimeError(f"no valid {country} tax id in {_ATTEMPTS:,} draws")  # not expected: about 1 in 1,000 at worst
