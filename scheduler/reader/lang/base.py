"""A language's rewrites into English time words."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

ENGLISH_MONTHS = (
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december",
)  # fmt: skip
ENGLISH_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_UNIT_WORDS = ("second", "minute", "hour", "day", "week", "month", "year")
_NUMERIC = re.compile(
    r"(?<![\d:/.\-])(\d{1,2})[/.\-](\d{1,2})(?:[/.\-](\d{4}|\d{2}))?\.?(?![\d:/\-])"
)
_SPACES = re.compile(r"\s+")
_SPACED_H = re.compile(r"\b(\d{1,2}) h\b")
_SUFFIX = {1: "st", 2: "nd", 3: "rd", 4: "th", 5: "th"}
# "1 friday of every month" (from "primer viernes de cada mes"): an ordinal.
_NTH_OF = re.compile(
    r"\b([1-5]) (monday|tuesday|wednesday|thursday|friday|saturday|sunday) (?=of\b)"
)
_WEEKDAY_DAY = re.compile(
    r"\b(monday|tuesday|wednesday|thursday|friday|saturday|sunday),? (\d{1,2})$"
)

Rewrite = tuple[str, str | Callable[[re.Match[str]], str]]


def weekdays(*patterns: str) -> dict[str, str]:
    """A language's pattern for each weekday, Monday first, to the English name."""
    return dict(zip(patterns, ENGLISH_WEEKDAYS, strict=True))


def months(*patterns: str) -> dict[str, str]:
    """A language's pattern for each month, January first, to the English name."""
    return dict(zip(patterns, ENGLISH_MONTHS, strict=True))


def name_rules(
    names: Mapping[str, str], tail: str = "", *, start: str = r"\b", end: str = r"\b", pad: str = ""
) -> list[Rewrite]:
    """Rewrite each weekday or month pattern, as a whole word then ``tail``, to its English."""
    return [(rf"{start}(?:{k}){end}{tail}", v + pad) for k, v in names.items()]


def unit_rules(patterns: str, *, start: str = r"\b", end: str = r"\b") -> list[Rewrite]:
    """Rewrite a language's words for second, minute, hour, day, week, month, year, given as
    seven space-separated patterns in that order, as whole words to the English unit."""
    return [(f"{start}{p}{end}", w) for p, w in zip(patterns.split(), _UNIT_WORDS, strict=True)]


def _numeric(m: re.Match[str]) -> str:
    """Day-first numeric dates ("17/2", "31.10.74") as "17 february 1974"."""
    d, mo, y = int(m.group(1)), int(m.group(2)), m.group(3)
    if y is None and "." in m.group(0) and len(m.group(2)) == 2 and d < 24 and not 1 <= mo <= 12:
        return f" {d}:{m.group(2)} "  # "15.30" is a time of day
    if not (1 <= d <= 31 and 1 <= mo <= 12):
        return m.group(0)
    year = (
        "" if y is None else f" {int(y) + (1900 if int(y) >= 50 else 2000) if len(y) == 2 else y}"
    )
    return f" {d} {ENGLISH_MONTHS[mo - 1]}{year} "


@dataclass(frozen=True)
class Language:
    """Number words, then rewrites in order; each pattern is a regex on folded text."""

    code: str
    numbers: Mapping[str, int]
    rewrites: Sequence[Rewrite]
    # Words that tell this language apart when guessing a message's language.
    marks: frozenset[str]
    tens_joiner: str = ""
    # Rewrites that must see the text before numeric dates are read ("um 10.10" is a time).
    first: Sequence[Rewrite] = ()
    _compiled: list[tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]]] = field(
        default_factory=list, compare=False
    )

    def __post_init__(self) -> None:
        self._compiled.extend((re.compile(p), r) for p, r in self.first)
        names = "|".join(sorted(self.numbers, key=len, reverse=True))
        tens = [w for w, n in self.numbers.items() if n % 10 == 0 and 20 <= n <= 90]
        units = [w for w, n in self.numbers.items() if 1 <= n <= 9]
        if self.tens_joiner and tens:
            # "cuarenta y cinco", "vingt-deux", "сорок пять": a ten and a unit are one number.
            self._compiled.append(
                (
                    re.compile(rf"\b({'|'.join(tens)})(?:{self.tens_joiner})({'|'.join(units)})\b"),
                    lambda m: str(self.numbers[m.group(1)] + self.numbers[m.group(2)]),
                )
            )
        self._compiled.append(
            (re.compile(rf"(?<![\w-])({names})(?![\w-])"), lambda m: str(self.numbers[m.group(1)]))
        )
        self._compiled.append((_NUMERIC, _numeric))
        self._compiled.append((_SPACED_H, r"\1h"))
        self._compiled.extend((re.compile(p), r) for p, r in self.rewrites)
        self._compiled.append((_NTH_OF, lambda m: f"{m[1]}{_SUFFIX[int(m[1])]} {m[2]} "))
        # "martedì 19", "jeudi 15": outside English a number after a weekday is its date.
        self._compiled.append((_WEEKDAY_DAY, r"\1 the \2th"))

    @property
    def vocabulary(self) -> frozenset[str]:
        """Words that mark this language."""
        return self.marks

    def rewrite(self, text: str) -> str:
        """Apply every rewrite, in order."""
        for pattern, repl in self._compiled:
            # Rewrites may leave double spaces: fold them so the next pattern sees one.
            text = _SPACES.sub(" ", pattern.sub(repl, text)).strip()
        return text
