"""Keep the catalogs current: ``python scripts/i18n.py`` extracts every msgid from the code into
each ``core/locale/<lang>/LC_MESSAGES/outpost.po`` (new ones untranslated, gone ones dropped)
and compiles the ``.mo`` files that ship in the package.

tests/i18n/test_catalogs.py fails while a msgid has no translation or a ``.mo`` is stale.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
LOCALE = ROOT / "core" / "locale"
SOURCES = ("bot", "core", "publishers", "scheduler", "storage")
TRANSLATED = ("es", "fr", "de", "pt", "it", "ru")
# The calls that carry a msgid (core.i18n): gettext(lang, msgid), ngettext(lang, one, many, n),
# msg(msgid, **params) below the chat, and N_(msgid) for constants.
KEYWORDS: dict[str, tuple[int, ...] | None] = {
    "t": (2,), "nt": (2, 3), "gettext": (2,), "ngettext": (2, 3), "msg": None, "N_": None,
}  # fmt: skip


def template() -> Catalog:
    """Every msgid in the code, with where it is used."""
    found = Catalog(project="outpost", domain="outpost")
    for folder in SOURCES:
        for path, line, message, comments, context in extract_from_dir(
            ROOT / folder, [("**.py", "python")], keywords=KEYWORDS, comment_tags=("i18n:",)
        ):
            if path.endswith("i18n.py"):
                continue  # the machinery's own parameters, not messages
            where = [(f"{folder}/{path}", line)]
            found.add(message, locations=where, auto_comments=comments, context=context,
                      flags=("python-brace-format",))  # fmt: skip
    return found


def po_path(lang: str) -> Path:
    return LOCALE / lang / "LC_MESSAGES" / "outpost.po"


def read(lang: str) -> Catalog:
    with po_path(lang).open("rb") as f:
        return read_po(f, locale=lang, domain="outpost")


def mo_bytes(catalog: Catalog) -> bytes:
    out = io.BytesIO()
    write_mo(out, catalog)
    return out.getvalue()


def main() -> int:
    pot = template()
    for lang in TRANSLATED:
        path = po_path(lang)
        path.parent.mkdir(parents=True, exist_ok=True)
        catalog = read(lang) if path.exists() else Catalog(locale=lang, domain="outpost")
        # The header keeps its first date, so a run that finds nothing new changes no file.
        pot.creation_date = catalog.creation_date
        catalog.update(pot, no_fuzzy_matching=True)
        catalog.obsolete.clear()
        with path.open("wb") as f:
            write_po(f, catalog, width=100, omit_header=False, no_location=True)
        path.with_suffix(".mo").write_bytes(mo_bytes(read(lang)))
        missing = [m.id for m in read(lang) if m.id and not m.string]
        sys.stderr.write(f"{lang}: {len(missing)} untranslated\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
