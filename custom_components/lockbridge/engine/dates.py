"""Dates as a guest reads them in their language: "sam. 12 déc. 15:00", not "2026-12-12 15:00".

A small table instead of a locale library: Home Assistant does not ship Babel, and the
system's locales are not there in its containers. Other languages get English.
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple


class _Names(NamedTuple):
    days: str  # Monday first, as datetime.weekday(), one space between names
    months: str
    #: The day, its number and the month: "{day} {number} {month}".
    pattern: str


_NAMES: dict[str, _Names] = {
    "en": _Names(
        "Mon Tue Wed Thu Fri Sat Sun",
        "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec",
        "{day} {number} {month}",
    ),
    "fr": _Names(
        "lun. mar. mer. jeu. ven. sam. dim.",
        "janv. févr. mars avr. mai juin juil. août sept. oct. nov. déc.",
        "{day} {number} {month}",
    ),
    "de": _Names(
        "Mo. Di. Mi. Do. Fr. Sa. So.",
        "Jan. Feb. März Apr. Mai Juni Juli Aug. Sept. Okt. Nov. Dez.",
        "{day} {number}. {month}",
    ),
    "es": _Names(
        "lun mar mié jue vie sáb dom",
        "ene feb mar abr may jun jul ago sept oct nov dic",
        "{day} {number} {month}",
    ),
    "it": _Names(
        "lun mar mer gio ven sab dom",
        "gen feb mar apr mag giu lug ago set ott nov dic",
        "{day} {number} {month}",
    ),
    "nl": _Names(
        "ma di wo do vr za zo",
        "jan feb mrt apr mei jun jul aug sep okt nov dec",
        "{day} {number} {month}",
    ),
    "pt": _Names(
        "seg. ter. qua. qui. sex. sáb. dom.",
        "jan. fev. mar. abr. mai. jun. jul. ago. set. out. nov. dez.",
        "{day}, {number} de {month}",
    ),
    "sv": _Names(
        "mån tis ons tors fre lör sön",
        "jan. feb. mars apr. maj juni juli aug. sep. okt. nov. dec.",
        "{day} {number} {month}",
    ),
}
FALLBACK = "en"


def supported(language: str | None) -> str:
    """The table's language for a booking's or Home Assistant's ("de-CH" -> "de")."""
    primary = (language or "").lower().replace("_", "-").partition("-")[0]
    return primary if primary in _NAMES else FALLBACK


def moment_text(moment: datetime, language: str | None) -> str:
    """A day and time in the language: en "Sat 12 Dec 15:00", fr "sam. 12 déc. 15:00"."""
    names = _NAMES[supported(language)]
    day = names.pattern.format(
        day=names.days.split()[moment.weekday()],
        number=moment.day,
        month=names.months.split()[moment.month - 1],
    )
    return f"{day} {moment:%H:%M}"


def span_text(start: datetime, end: datetime, language: str | None) -> str:
    """A stay's or code's window: "Sat 12 Dec 15:00 → Tue 15 Dec 12:00"."""
    return f"{moment_text(start, language)} → {moment_text(end, language)}"
