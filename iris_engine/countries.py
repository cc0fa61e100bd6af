"""ISO 3166-1 alpha-2: the 249 officially assigned country codes, kept as data.

A scope's corridors must name real countries (a typo such as ``QT`` for Qatar would put a
recruiter in no real corridor, and nobody searching would find it). The list is vendored rather
than taken from a package: it is 249 two-letter codes that change every few years (the last
addition was SS, South Sudan, in 2011), where the packages that carry it (pycountry, about
10 MB with translations and subdivisions; Babel, whose CLDR territories also hold non-ISO
codes such as XK or EU) bring far more than this check needs. Source: the ISO 3166
Maintenance Agency's officially assigned codes, as in Debian's iso-codes 4.x (pycountry
26.2.16); ``tests/unit/test_countries.py`` compares the two when pycountry is installed.
User-assigned codes (XK for Kosovo, used by some registers) are not ISO and are refused.
"""

from __future__ import annotations

__all__ = ["ISO_3166_ALPHA_2", "is_country"]

#: one string split, not a list literal: the table reads as the Agency publishes it
ISO_3166_ALPHA_2: frozenset[str] = frozenset("""
AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE
BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ CA CC CD
CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM
DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF
GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU
ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN
KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME
MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA
NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM
PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI
SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK
TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI
VN VU WF WS YE YT ZA ZM ZW
""".split())  # noqa: SIM905


def is_country(code: str) -> bool:
    """Whether ``code`` is an officially assigned ISO 3166-1 alpha-2 code (capitals)."""
    return code in ISO_3166_ALPHA_2
