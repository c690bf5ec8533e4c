"""What Outpost refuses, it says in the asker's language: every problem the networks' checks,
the media checks, the reader and the destinations produce is a msgid the Spanish and Russian
catalogs translate, parameters included; nothing below the chat writes English of its own."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest

from core.errors import RequestProblem
from core.i18n import Msg, translate
from publishers.base import Account, Media, PublishRequest
from publishers.registry import PUBLISHERS
from scheduler.destinations import resolve
from scheduler.media.limits import shape_problems
from scheduler.media.sniff import sniff
from scheduler.reader import read_request
from scheduler.reader.limits import text_problems
from storage.views import AccountView
from tests.i18n.english import english_in, untranslated

LANGS = ("es", "ru")
NIGHT = datetime(2026, 12, 7, 21, 30, tzinfo=UTC)


def _media(n: int, content_type: str, **kw: object) -> Media:
    fields: dict[str, object] = {"size": 900 * 2**20, "sha256": "0" * 64, "alt": "a" * 3000}
    fields.update(kw)
    return Media(f"m{n}", content_type, **fields)  # type: ignore[arg-type]


# Requests that break every kind of rule: too long, too many files, wrong types, huge files,
# odd shapes and lengths, long descriptions, too many tags, mentions and links.
HEAVY = "#tag @who https://a.example/x " * 400
FILES = (
    _media(1, "image/jpeg", width=20_000, height=200),
    _media(2, "video/mp4", width=4000, height=100, duration=3600.0),
    _media(3, "video/mp4", size=10, width=100, height=4000, duration=0.1),
    _media(4, "image/gif", width=9000, height=9000),
    _media(5, "image/heic"),
    *(_media(n, "image/png", width=10, height=10, size=10) for n in range(6, 12)),
)
REQUESTS = (
    {"text": HEAVY, "media": FILES},
    {"text": HEAVY, "media": FILES, "thread": True},
    {"text": "", "media": ()},
    {"text": "\ufffe short", "media": FILES[:1]},
    {"text": "😀" * 260, "media": ()},
)


def _problems() -> list[tuple[str, str]]:
    found = []
    for platform, cls in sorted(PUBLISHERS.items()):
        publisher = cls(None)  # type: ignore[arg-type]  # validate is pure: no session needed
        account = Account("a1", platform, "@acme", "token", "https://acme.example",
                          {"max_upload_bytes": 1024})  # fmt: skip
        for shape in REQUESTS:
            request = PublishRequest("d1", "k1", account=account, **shape)  # type: ignore[arg-type]
            for problem in publisher.validate(request) + shape_problems(publisher, request):
                found.append((platform, problem.text()))
    return found


PROBLEMS = _problems()


def test_the_heavy_requests_find_many_kinds_of_problem() -> None:
    kinds = {p.params["message"].msgid for _, p in PROBLEMS if isinstance(p, Msg)}
    assert len(kinds) >= 25
    assert {platform for platform, _ in PROBLEMS} == set(PUBLISHERS)


@pytest.mark.parametrize("lang", LANGS)
def test_every_network_problem_is_translated(lang: str) -> None:
    for platform, problem in PROBLEMS:
        assert untranslated(problem, lang) == [], (platform, str(problem))
        assert english_in(translate(problem, lang)) == [], (platform, translate(problem, lang))


READER = (
    "tonight at 8 to x: Hello",  # already past at 21:30
    "13pm to x: Hello",
    "3/4 9am to x: Hello",  # day or month first
    "every 31st at 9 to x: Hello",
    "every 30th at 9 to x: Hello",
    "every month on friday at 9 to x: Hello",
    "every monday next week to x: Hello",
    "tomorrow 9am blorp zing to x: Hello",
    "tomorrow 9am to x:",
    "tomorrow 9am to x Hello there",
    "to x: Hello",
    f"tomorrow 9am to x, bluesky, threads: {'long ' * 200}",
    "in 3 years to x: Hello",
    "ayer a las 9 en x: Hola",
    "mañana a las 9 en x:",
    "cada mes el viernes a las 9 en x: Hola",
    f"mañana a las 9 en x: {'largo ' * 100}",
    "вчера в 9 утра в x: Привет",
    "завтра в 9 утра в x:",
    f"завтра в 9 утра в x: {'длинно ' * 100}",
)


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("request_text", READER)
def test_every_reader_problem_is_translated(lang: str, request_text: str) -> None:
    parsed = read_request(request_text, now=NIGHT, tz="Europe/Madrid")
    problems = [*parsed.problems, *text_problems(parsed)]
    assert problems, request_text
    for problem in problems:
        assert untranslated(problem, lang) == [], str(problem)
        assert english_in(translate(problem, lang)) == [], translate(problem, lang)


def _account(platform: str, handle: str, status: str = "active") -> AccountView:
    return AccountView(uuid.uuid4(), uuid.uuid4(), platform, handle, None, "", "", {}, status)


@pytest.mark.parametrize("lang", LANGS)
def test_every_destination_problem_is_translated(lang: str) -> None:
    accounts = [_account("mastodon", "@a@one.social"), _account("mastodon", "@b@two.social"),
                _account("bluesky", "acme.bsky.social", "reconnect")]  # fmt: skip
    _, problems = resolve(["klingon", "mastodon", "bluesky"], accounts)
    _, none = resolve(["all"], [])
    assert len(problems) == 3
    assert len(none) == 1
    for problem in [*problems, *none]:
        assert untranslated(problem, lang) == [], str(problem)
        assert english_in(translate(problem, lang)) == [], translate(problem, lang)


FILES_ON_DISK = {
    "empty": b"",
    "audio": b"\x00\x00\x00\x18ftypM4A \x00\x00\x00\x00",
    "heic": b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00",
    "cut video": b"\x00\x00\x00\x18ftypisom\x00\x00\x00\x00\x00\x00\xff\xffmoov",
    "no index": b"\x00\x00\x00\x18ftypisom\x00\x00\x00\x00\x00\x00\x00\x08free",
    "gif cut": b"GIF89a\x01\x00\x01\x00\x00\x00\x00",
    "noise": b"not a picture at all, just words",
}


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("name", sorted(FILES_ON_DISK))
def test_every_file_problem_is_translated(lang: str, name: str, tmp_path: Path) -> None:
    path = tmp_path / "upload"
    path.write_bytes(FILES_ON_DISK[name])
    with pytest.raises(RequestProblem) as refused:
        sniff(path)
    for text in [*refused.value.problems, refused.value.hint]:
        assert untranslated(text, lang) == [], str(text)
        assert english_in(translate(text, lang)) == [], translate(text, lang)


def test_dates_inside_problems_are_written_as_the_language_writes_them() -> None:
    parsed = read_request("ayer a las 9 en x: Hola", now=NIGHT, tz="Europe/Madrid")
    [past] = parsed.problems
    assert str(past).startswith("Sun 06 Dec 2026 09:00 CET is in the past.")  # API, CLI
    assert translate(past, "es").startswith("dom 6 dic 2026 09:00 CET ya pasó.")
    assert translate(past, "ru").startswith("вс 6 дек. 2026 09:00 CET уже в прошлом.")
