"""ISO 3166-1 alpha-2 countries, named in the reader's language by Babel's CLDR data."""

from __future__ import annotations

from babel import Locale
from flask_babel import get_locale


def _is_country(code: str) -> bool:
    # Two-letter codes are countries; numeric codes are regions, ZZ/EU/UN/EZ/QO are groupings.
    return (
        len(code) == 2
        and code.isalpha()
        and code not in {"ZZ", "EU", "UN", "EZ", "QO", "XA", "XB", "XK"}
    )


def country_codes() -> set[str]:
    return {code for code in Locale("en").territories if _is_country(code)}


def country_name(code: str) -> str:
    locale = get_locale() or Locale("en")
    return locale.territories.get(code) or Locale("en").territories.get(code, code)


def country_choices() -> list[tuple[str, str]]:
    return sorted(
        ((code, country_name(code)) for code in country_codes()), key=lambda pair: pair[1]
    )
