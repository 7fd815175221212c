"""The Guests dashboard in French, made from the English one so that the two never drift.

`python -m tests.dashboard_fr` writes docs/guests-dashboard.fr.yaml; a test checks it is
up to date. Each replacement must match: a change to the English text that one no longer
matches fails the test instead of leaving English in the French dashboard.
"""

from __future__ import annotations

from pathlib import Path
import sys

ROOT = Path(__file__).parent.parent
ENGLISH = ROOT / "docs" / "guests-dashboard.yaml"
FRENCH = ROOT / "docs" / "guests-dashboard.fr.yaml"

#: (English, French, how many times it occurs).
REPLACEMENTS: tuple[tuple[str, str, int], ...] = (
    (
        """# LockBridge "Guests" dashboard.
# Paste it into a new dashboard (Settings > Dashboards > Add dashboard > New dashboard from
# scratch, then ⋮ > Edit dashboard > ⋮ > Raw configuration editor). The Guests card comes
# with LockBridge; the other cards find LockBridge's entities by what they are, not by their
# ids; only the calendar card names your units' calendars: put yours there.
""",
        """# Tableau de bord LockBridge « Voyageurs ».
# Collez-le dans un nouveau tableau de bord (Paramètres > Tableaux de bord > Ajouter un tableau
# de bord > Nouveau tableau de bord à partir de zéro, puis ⋮ > Modifier le tableau de bord > ⋮ >
# Éditeur de configuration brute). La carte Voyageurs vient avec LockBridge ; les autres cartes
# trouvent les entités de LockBridge par ce qu'elles sont, pas par leurs identifiants ; seule
# la carte calendrier nomme les calendriers de vos logements : mettez-y les vôtres.
""",
        1,
    ),
    ("title: Guests\n", "title: Voyageurs\n", 2),
    ("heading: Today\n", "heading: Aujourd'hui\n", 1),
    (
        "# Arrivals and departures, and whether every cloud could be read.",
        "# Arrivées et départs, et si chaque cloud a pu être lu.",
        1,
    ),
    ("heading: Next guests\n", "heading: Prochains voyageurs\n", 1),
    (
        "# Every stay of the next 14 days, unit by unit; PINs for administrators only.",
        "# Chaque séjour des 14 prochains jours, logement par logement ; PIN pour les administrateurs seulement.",  # noqa: E501
        1,
    ),
    ("heading: In the units now\n", "heading: Dans les logements\n", 1),
    ("heading: Bookings\n", "heading: Réservations\n", 1),
    (
        "# Your units' calendars (one per unit: Settings > Devices > the unit).",
        "# Les calendriers de vos logements (un par logement : Paramètres > Appareils > le logement).",  # noqa: E501
        1,
    ),
    ("heading: Locks\n", "heading: Serrures\n", 1),
    (
        "| Lock | State | Battery | Codes | In sync |",
        "| Serrure | État | Batterie | Codes | Synchronisée |",
        1,
    ),
    ("heading: Sync\n", "heading: Synchronisation\n", 1),
    ("**Sync problem**", "**Problème de synchronisation**", 1),
    ("Bookings and keypads agree.", "Réservations et claviers concordent.", 1),
    (
        "#- Unread clouds: the sources whose last read failed, The Keys when the locks are.",
        "#- Clouds non lus : les sources dont la dernière lecture a échoué, The Keys si les serrures aussi.",  # noqa: E501
        1,
    ),
    ("**Not read at the last try**:", "**Non lu à la dernière tentative** :", 1),
    (
        "What is shown is as of its last read.",
        "Ce qui est affiché date de sa dernière lecture.",
        1,
    ),
    (
        """              Last sync {{ relative_time(s.state | as_datetime) }} ago: {{
                s.attributes.created }} created, {{ s.attributes.updated }} updated, {{
                s.attributes.removed }} removed, {{ s.attributes.failed }} failed.""",
        """              Dernière synchronisation à {{ as_timestamp(s.state)
                | timestamp_custom('%H:%M') }} : {{ s.attributes.created }} créé(s), {{
                s.attributes.updated }} modifié(s), {{ s.attributes.removed }} supprimé(s), {{
                s.attributes.failed }} en échec.""",
        1,
    ),
    (
        "HotelRunner: {{ s.state }} of {{ s.attributes.per_day }} requests left today.",
        "HotelRunner : {{ s.state }} requêtes sur {{ s.attributes.per_day }} restantes aujourd'hui.",  # noqa: E501
        1,
    ),
    ("name: Sync now\n", "name: Synchroniser maintenant\n", 1),
    (
        "#- Names come from the clouds: shown as text, never as table cells, links or HTML.",
        "#- Les noms viennent des clouds : affichés comme texte, jamais comme cellules, liens ou HTML.",  # noqa: E501
        3,
    ),
    ("heading: Cleaning\n", "heading: Ménage\n", 1),
    (
        "# Each unit's next cleaning window (its Day sensor), who has it and their code's state.",
        "# Le prochain créneau de ménage de chaque logement (son capteur Jour), qui l'a et l'état de son code.",  # noqa: E501
        1,
    ),
    (
        """{'pending': 'pending', 'scheduled': 'scheduled',
                    'active': 'active', 'failed': 'failed'}""",
        """{'pending': 'en attente', 'scheduled': 'programmé',
                    'active': 'actif', 'failed': 'en échec'}""",
        1,
    ),
    ("}}**: Cleaning {{", "}}** : Ménage {{", 1),
    ("No cleaning planned.", "Aucun ménage prévu.", 1),
)


def french(english: str) -> str:
    """The French dashboard; raises if a replacement no longer matches as often as it should."""
    text = english
    for old, new, times in REPLACEMENTS:
        if (found := text.count(old)) != times:
            raise ValueError(f"{old[:60]!r}: found {found} times, expected {times}")
        text = text.replace(old, new)
    return text


if __name__ == "__main__":
    FRENCH.write_text(french(ENGLISH.read_text(encoding="utf-8")), encoding="utf-8")
    sys.stdout.write(f"wrote {FRENCH.relative_to(ROOT)}\n")
