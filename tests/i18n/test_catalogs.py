"""The catalogs cover the code: every msgid has a translation in each language, with the same
``{fields}``; the shipped .mo files are compiled from the .po files as they stand."""

from __future__ import annotations

import pickle
import string
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.render import HELP, example
from core.errors import RequestProblem
from core.i18n import LANGUAGES, catalog, gettext, msg, ngettext, translate
from scheduler.reader import read_request
from scripts.i18n import TRANSLATED, mo_bytes, po_path, read, template

NOW = datetime(2026, 12, 7, 12, tzinfo=UTC)


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def _ids(message_id: str | tuple[str, ...]) -> tuple[str, ...]:
    return message_id if isinstance(message_id, tuple) else (message_id,)


def test_the_code_has_messages_to_translate() -> None:
    ids = {m.id for m in template() if m.id}
    assert "I couldn't schedule that:" in ids  # bot/render.py
    assert "The post has no text: write it after the colon." in ids  # scheduler/service.py
    assert ("{n} file", "{n} files") in ids  # a plural
    assert len(ids) > 70


@pytest.mark.parametrize("lang", TRANSLATED)
def test_every_msgid_in_the_code_is_translated(lang: str) -> None:
    catalog = read(lang)
    missing, broken = [], []
    for wanted in template():
        if not wanted.id:
            continue
        found = catalog.get(wanted.id)
        if found is None or not all(_ids(found.string)) or found.fuzzy:
            missing.append(wanted.id)
            continue
        source = set().union(*(_fields(i) for i in _ids(wanted.id)))
        for form in _ids(found.string):
            if _fields(form) - source - {"n"} or source - {"n"} - _fields(form):
                broken.append((wanted.id, form))
    assert missing == [], f"{lang}: untranslated; run scripts/i18n.py and fill them in"
    assert broken == [], f"{lang}: translations whose {{fields}} differ from the msgid"


@pytest.mark.parametrize("lang", TRANSLATED)
def test_mo_files_are_compiled_from_the_po_files(lang: str) -> None:
    shipped = po_path(lang).with_suffix(".mo")
    assert shipped.read_bytes() == mo_bytes(read(lang)), "stale .mo: run scripts/i18n.py"
    # What the running code reads (core.i18n) is what the .po says.
    for message in read(lang):
        if message.id and isinstance(message.id, str):
            assert catalog(lang).gettext(message.id) == message.string


@pytest.mark.parametrize("lang", LANGUAGES)
def test_help_examples_are_requests_the_reader_reads_in_that_language(lang: str) -> None:
    lines = [line[2:] for line in gettext(lang, HELP, example=example(lang)).splitlines()
             if line.startswith("• ")]  # fmt: skip
    assert len(lines) == 4
    for line in lines:
        read = read_request(line, now=NOW, tz="UTC")
        assert (read.lang, read.problems) == (lang, ()), line
        assert read.when is not None
        assert read.destinations


def test_russian_plurals_take_three_forms() -> None:
    assert [ngettext("ru", "{n} file", "{n} files", n) for n in (1, 3, 5, 21)] == [
        "1 файл", "3 файла", "5 файлов", "21 файл",
    ]  # fmt: skip
    assert ngettext("es", "{n} file", "{n} files", 1) == "1 archivo"


def test_a_problem_from_below_the_chat_survives_pickling_and_translates_late() -> None:
    problem = msg("{when} is in the past.", when="2026-12-01T09:00:00+00:00")
    assert problem == "2026-12-01T09:00:00+00:00 is in the past."  # English as a str
    error = pickle.loads(pickle.dumps(RequestProblem([problem], msg("Pick a later time."))))
    assert translate(error.problems[0], "de") == (
        "2026-12-01T09:00:00+00:00 liegt in der Vergangenheit."
    )
    assert translate(error.hint, "fr") == "Choisissez une heure plus tardive."
    assert translate("plain text", "ru") == "plain text"
    assert gettext("xx", "Retry") == "Retry"  # an unknown language falls back to English


def test_catalogs_are_package_data() -> None:
    pyproject = (Path(__file__).parents[2] / "pyproject.toml").read_text()
    assert '"core" = ["locale/*/LC_MESSAGES/*.po", "locale/*/LC_MESSAGES/*.mo"]' in pyproject
