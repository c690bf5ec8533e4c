"""New moons (Meeus, "Astronomical Algorithms", ch. 49, main periodic terms) and Islamic month
starts observed the way Saudi Arabia's Umm al-Qura calendar sets them.

Only the larger terms are kept: the instant is good to a few minutes, enough to tell which day
a month begins on except when the conjunction falls within minutes of the cut-off.
"""

from __future__ import annotations

import math
from datetime import date, timedelta

_SYNODIC = 29.530588861
# Julian Day of 0001-01-01 00:00 UT is R.D. 1 - 0.5 + 1721424.5.
_JD_OF_RD0 = 1721424.5
# A month begins the day after a conjunction that comes before sunset in Mecca (about 18:30
# local, UTC+3); a later conjunction pushes it a day further.
_CUTOFF_UTC_HOURS = 15.5

_TERMS = (
    (-0.40720, 0, 1, 0, 0),
    (0.17241, 1, 0, 1, 0),
    (0.01608, 0, 2, 0, 0),
    (0.01039, 0, 0, 0, 2),
    (0.00739, 1, 1, -1, 0),
    (-0.00514, 1, 1, 1, 0),
    (0.00208, 2, 0, 2, 0),
    (-0.00111, 0, 1, 0, -2),
    (-0.00057, 0, 1, 0, 2),
    (0.00056, 1, 2, 1, 0),
    (-0.00042, 0, 3, 0, 0),
    (0.00042, 1, 0, 1, 2),
    (0.00038, 1, 0, 1, -2),
    (-0.00024, 1, 2, -1, 0),
)


# The full moon's terms differ slightly from the new moon's (Meeus, table 49.A).
_FULL = (-0.40614, 0.17302, 0.01614, 0.01043, 0.00734, -0.00515, 0.00209)


def new_moon_jd(k: float) -> float:
    """Julian Day (TT) of new moon number ``k`` (k = 0 near 2000-01-06); k + 0.5 is the
    full moon after it."""
    t = k / 1236.85
    full = k % 1 == 0.5
    jde = 2451550.09766 + _SYNODIC * k + 0.00015437 * t * t
    e = 1 - 0.002516 * t - 0.0000074 * t * t
    m = math.radians(2.5534 + 29.10535670 * k)
    mp = math.radians(201.5643 + 385.81693528 * k + 0.0107582 * t * t)
    f = math.radians(160.7108 + 390.67050284 * k - 0.0016118 * t * t)
    omega = math.radians(124.7746 - 1.56375588 * k)
    total = -0.00017 * math.sin(omega)
    for i, (coef, e_pow, n_mp, n_m, n_f) in enumerate(_TERMS):
        # Columns: E's power, multiples of M', of M, of F.
        c = _FULL[i] if full and i < len(_FULL) else coef
        total += c * e**e_pow * math.sin(n_mp * mp + n_m * m + n_f * f)
    return jde + total


def k_near(day: date) -> int:
    jd = day.toordinal() + _JD_OF_RD0
    return round((jd - 2451550.09766) / _SYNODIC)


def islamic_month_start(estimate: date) -> date:
    """The first day of the Islamic month whose tabular first day is ``estimate``."""
    k = k_near(estimate - timedelta(days=1))
    jd = new_moon_jd(k)
    when = jd - _JD_OF_RD0  # R.D. days, fractional from midnight UT
    day = int(when)
    hours = (when - day) * 24
    return date.fromordinal(day) + timedelta(days=1 if hours < _CUTOFF_UTC_HOURS else 2)
