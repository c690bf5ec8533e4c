"""Slack answers in the language the request was written in, or the one the workspace set:
the summary, its buttons, the problems and the thread reply once a real worker published."""

from __future__ import annotations

import json
from typing import Any

from tests.fakes.mastodon import FakeMastodon
from tests.slack.conftest import CHANNEL, SlackHarness
from tests.slack.test_commands import _until


def _labels(message: dict[str, Any]) -> list[str]:
    return [e["text"]["text"] for b in message["blocks"] if b["type"] == "actions"
            for e in b["elements"]]  # fmt: skip


async def _published(slack: SlackHarness, request: str) -> tuple[dict[str, Any], str]:
    """Schedule ``request``, press Post now: the summary as first shown, and the thread reply."""
    await slack.command(request)
    await _until(lambda: slack.fake.messages)
    summary = json.loads(json.dumps(slack.fake.messages[0]))  # later edits change the fake's
    post_id = summary["text"].rsplit("id: ", 1)[1].strip()
    await slack.interactive(slack.button("post_now", post_id, ts=summary["ts"]))
    await _until(lambda: slack.fake.thread(CHANNEL, summary["ts"]))
    return summary, slack.fake.thread(CHANNEL, summary["ts"])[0]["text"]


async def test_spanish_request_is_answered_in_spanish_up_to_the_thread_reply(
    connected: SlackHarness, mastodon: FakeMastodon
) -> None:
    summary, done = await _published(connected, "mañana a las 9 en mastodon: ¡Abrimos!")
    assert summary["text"].startswith("🗓 Programada para el ")
    assert " en mastodon:@outpost@fake.social." in summary["text"]
    assert _labels(summary) == ["Cancelar", "Cambiar hora", "Publicar ahora"]
    assert [s["text"] for s in mastodon.statuses] == ["¡Abrimos!"]
    assert done.startswith("✅ Publicada:")
    assert mastodon.statuses[0]["url"] in done
    # The summary message is brought up to date (just after the thread reply), in Spanish too.
    await _until(lambda: connected.fake.message(CHANNEL, summary["ts"])["text"].startswith("✅"))
    assert connected.fake.message(CHANNEL, summary["ts"])["text"].startswith("✅ Publicada: en ")


async def test_russian_request_is_answered_in_russian_up_to_the_thread_reply(
    connected: SlackHarness, mastodon: FakeMastodon
) -> None:
    summary, done = await _published(connected, "завтра в 9 утра в mastodon: Мы открылись")
    assert summary["text"].startswith("🗓 Запланировано на ")
    assert _labels(summary) == ["Отменить", "Изменить время", "Опубликовать сейчас"]
    assert done.startswith("✅ Опубликовано:")
    assert mastodon.statuses[0]["url"] in done


async def test_spanish_request_with_a_problem_is_answered_in_spanish(
    connected: SlackHarness,
) -> None:
    slack, fake = connected, connected.fake
    await slack.command("mañana a las 9 en mastodon:")
    await _until(lambda: fake.responses)
    text = fake.responses[0]["text"]
    assert text.startswith("No pude programar eso:")
    assert "El texto tras los dos puntos está vacío" in text
    assert '"mañana a las 9 en mastodon: Hola"' in text
    assert fake.messages == []


async def test_workspace_language_wins_over_the_message_until_auto(
    connected: SlackHarness,
) -> None:
    slack, fake = connected, connected.fake
    await slack.command("language ru")
    await _until(lambda: fake.responses)
    assert fake.responses[0]["text"] == "В этом чате я буду отвечать по-русски."
    await slack.command("tomorrow 9am to mastodon: Hello")
    await _until(lambda: fake.messages)
    assert fake.messages[0]["text"].startswith("🗓 Запланировано на ")
    await slack.command("language auto")
    await _until(lambda: len(fake.responses) == 2)
    # Said while the setting still stood.
    assert fake.responses[1]["text"] == (
        "Я буду отвечать на каждое сообщение на том языке, на котором оно написано."
    )
    await slack.command("tomorrow 10am to mastodon: Hello again")
    await _until(lambda: len(fake.messages) == 2)
    assert fake.messages[1]["text"].startswith("🗓 Scheduled for ")
    await slack.command("language klingon")
    await _until(lambda: len(fake.responses) == 3)
    # The setting is gone: an unknown language, asked in English, is answered in English.
    assert fake.responses[2]["text"].startswith("I can answer in: en, es, fr, de, pt, it, ru.")


async def test_edit_time_modal_of_a_russian_post_is_in_russian(connected: SlackHarness) -> None:
    slack, fake = connected, connected.fake
    await slack.command("завтра в 9 утра в mastodon: Мы открылись")
    await _until(lambda: fake.messages)
    summary = fake.messages[0]
    post_id = summary["text"].rsplit("id: ", 1)[1].strip()
    await slack.interactive(slack.button("edit_time", post_id, ts=summary["ts"]))
    await _until(lambda: fake.calls("views.open"))
    view = fake.calls("views.open")[0]["view"]
    view = json.loads(view) if isinstance(view, str) else view
    assert (view["title"]["text"], view["submit"]["text"], view["close"]["text"]) == (
        "Изменить время", "Перенести", "Закрыть",
    )  # fmt: skip
    assert view["blocks"][0]["label"]["text"] == "Новое время"
