"""Slack answers in the language the request was written in, or the one the workspace set:
the summary, its buttons, the problems and the thread reply once a real worker published."""

from __future__ import annotations

import json
from typing import Any

from slack_sdk.errors import SlackApiError

from bot.slack.errors import message_for
from tests.fakes.mastodon import FakeMastodon
from tests.i18n.english import english_in
from tests.slack.conftest import CHANNEL, TEAM, SlackHarness
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


async def _answer(slack: SlackHarness, text: str, **kw: Any) -> str:
    """Send ``/schedule text`` and return the private answer it gets."""
    before = len(slack.fake.responses)
    await slack.command(text, **kw)
    await _until(lambda: len(slack.fake.responses) > before)
    return str(slack.fake.responses[before]["text"])


REFUSALS = {
    "es": (
        ("mañana a las 9 en mastodon: " + "a" * 600,
         "• @outpost@fake.social: el texto tiene 600 caracteres; Mastodon admite 500"),
        ("mañana a las 9 en klingon: Hola", "No conozco «klingon». Conectadas: mastodon:"),
        ("ayer a las 9 en mastodon: Hola", "ya pasó. Elige una hora futura"),
    ),
    "ru": (
        ("завтра в 9 утра в mastodon: " + "а" * 600,
         "• @outpost@fake.social: в тексте 600 символов; Mastodon допускает 500"),
        ("завтра в 9 утра в klingon: Привет", "Я не знаю «klingon». Подключены: mastodon:"),
        ("вчера в 9 утра в mastodon: Привет", "уже в прошлом"),
    ),
}


async def test_spanish_and_russian_refusals_are_in_their_language(
    connected: SlackHarness,
) -> None:
    for lang, cases in REFUSALS.items():
        head = {"es": "No pude programar eso:", "ru": "Не удалось запланировать:"}[lang]
        for request, expected in cases:
            text = await _answer(connected, request)
            assert text.startswith(head), text
            assert expected in text, text
            assert english_in(text) == [], text
    assert connected.fake.messages == []


async def test_failed_spanish_and_russian_posts_reply_in_their_language(
    connected: SlackHarness, mastodon: FakeMastodon
) -> None:
    """Outpost's words are translated; the network's own detail is quoted as it came."""
    slack, fake = connected, connected.fake
    for request, head, advice in (
        ("ahora en mastodon: ¡Abrimos!", "❌ No publicada:",
         "— Mastodon rechazó el token de la cuenta (401: The access token is invalid) "
         "Vuelve a conectar la cuenta y pulsa Reintentar."),
        ("сейчас в mastodon: Мы открылись", "❌ Не опубликовано:",
         "— Mastodon отклонил токен аккаунта (401: The access token is invalid) "
         "Переподключите аккаунт, затем нажмите «Повторить»."),
    ):  # fmt: skip
        mastodon.fail_next("401")
        before = len(fake.messages)
        await slack.command(request)
        await _until(lambda n=before: len(fake.messages) > n)
        ts = fake.messages[before]["ts"]
        await _until(lambda ts=ts: fake.thread(CHANNEL, ts))
        reply = fake.thread(CHANNEL, ts)[0]["text"]
        assert reply.startswith(head), reply
        assert advice in reply, reply
        assert english_in(reply) == [], reply
        ws = await slack.rt.workspaces.ensure(f"slack:{TEAM}")
        acc = (await slack.rt.workspaces.accounts(ws.id))[0]
        await slack.rt.workspaces.add_account(
            ws.id, acc.platform, acc.handle, slack.rt.cipher.encrypt("good-token"),
            base_url=acc.base_url,
        )  # a 401 asks for reconnecting: connected again for the next request


async def test_accounts_and_digest_answers_are_in_spanish(connected: SlackHarness) -> None:
    assert await _answer(connected, "language es") == "Responderé en español en este chat."
    accounts = await _answer(connected, "accounts")
    assert accounts.startswith("Cuentas conectadas:\n• mastodon:@outpost@fake.social — ok\n\n")
    assert "Plan: unlimited — cuentas 1, publicaciones este mes 0, miembros 1" in accounts
    assert await _answer(connected, "digest") == (
        "Escribe `digest on` para recibir aquí un resumen semanal, o `digest off`."
    )
    on = await _answer(connected, "digest on")
    assert on.startswith("Cada lunes publicaré aquí lo programado para la semana")
    assert await _answer(connected, "digest off") == (
        "No habrá más resúmenes semanales aquí. `digest on` los vuelve a activar."
    )
    help_text = await _answer(connected, "help")
    assert "`digest on` (un resumen semanal en este chat" in help_text
    assert "`language es workspace`" in help_text
    for text in (accounts, on, help_text):
        assert english_in(text) == [], text


async def test_channel_language_wins_over_the_workspace_language(
    connected: SlackHarness,
) -> None:
    slack, other = connected, "C0OTHER002"
    assert await _answer(slack, "language ru workspace") == (
        "Я буду отвечать по-русски в этом рабочем пространстве, кроме чатов, где выбран свой язык."
    )
    # Every channel without its own setting follows the workspace; English words or not.
    assert (await _answer(slack, "posts")).startswith("Ничего не запланировано.")
    assert (await _answer(slack, "posts", channel=other)).startswith(
        "Ничего не запланировано."
    )
    assert await _answer(slack, "language es", channel=other) == (
        "Responderé en español en este chat."
    )
    assert (await _answer(slack, "posts", channel=other)).startswith("No hay nada programado.")
    assert (await _answer(slack, "posts")).startswith("Ничего не запланировано.")
    # The channel's setting gone, it follows the workspace again (and says so in Russian).
    assert await _answer(slack, "language auto", channel=other) == (
        "Этот чат снова следует языку рабочего пространства: здесь я буду отвечать по-русски."
    )
    assert (await _answer(slack, "posts", channel=other)).startswith(
        "Ничего не запланировано."
    )
    # The workspace's gone too: each message's own language.
    await _answer(slack, "language auto workspace")
    assert (await _answer(slack, "posts")).startswith("Nothing scheduled.")
    assert (await _answer(slack, "language fr xyz")).startswith("I can answer in: ")


def test_slack_error_advice_is_in_the_chats_language() -> None:
    refused = SlackApiError("refused", {"ok": False, "error": "not_in_channel"})
    assert message_for(refused, "es") == "No estoy en este canal: invítame con `/invite @Outpost`."
    odd = SlackApiError("refused", {"ok": False, "error": "odd_error"})
    assert message_for(odd, "ru") == (
        "Slack отклонил запрос (odd_error). "
        "У меня что-то пошло не так, ничего не изменилось. Попробуйте ещё раз через минуту."
    )
    assert message_for(RuntimeError("boom"), "es").startswith("Algo falló por mi parte")
    assert message_for(RuntimeError("boom")).startswith("Something went wrong on my side")
