"""Telegram answers in the language the request was written in, or the one the chat set:
the confirmation, its buttons, the problems and the reply once a real worker published."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from aiohttp.test_utils import TestClient
from telegram import Update

from bot.telegram.context import Services
from bot.telegram.errors import make_handler
from core.errors import NotFound
from core.i18n import msg
from scheduler.runtime import Runtime
from tests.fakes.mastodon import FakeMastodon
from tests.fakes.telegram import FakeTelegram
from tests.i18n.english import english_in
from tests.support import wait_for
from tests.telegram.updates import USER, Updates, connect_mastodon, post, replies

Client = TestClient[Any, Any]


async def _reply_starting(fake: FakeTelegram, head: str) -> dict[str, Any]:
    async def seen() -> bool:
        return any(r["text"].startswith(head) for r in replies(fake))

    await wait_for(seen, timeout=20)
    return next(r for r in replies(fake) if r["text"].startswith(head))


def _labels(message: dict[str, Any]) -> list[str]:
    return [b["text"] for row in message["reply_markup"]["inline_keyboard"] for b in row]


async def test_spanish_request_is_answered_in_spanish_up_to_the_published_reply(
    client: Client, telegram: FakeTelegram, tg_runtime: Runtime, mastodon: FakeMastodon,
    updates: Updates, tg_worker: object,
) -> None:  # fmt: skip
    await connect_mastodon(tg_runtime, f"telegram:{USER}", mastodon.url)
    request = updates.message(text="ahora en mastodon: ¡Abrimos!")
    await post(client, request)
    scheduled = await _reply_starting(telegram, "🗓 Programada para el ")
    assert _labels(scheduled) == ["✖ Cancelar", "Cambiar hora", "Publicar ahora"]
    done = await _reply_starting(telegram, "✅ Publicada:")
    assert [s["text"] for s in mastodon.statuses] == ["¡Abrimos!"]
    assert mastodon.statuses[0]["url"] in done["text"]
    assert done["reply_parameters"]["message_id"] == request["message"]["message_id"]


async def test_russian_request_is_answered_in_russian_up_to_the_published_reply(
    client: Client, telegram: FakeTelegram, tg_runtime: Runtime, mastodon: FakeMastodon,
    updates: Updates, tg_worker: object,
) -> None:  # fmt: skip
    await connect_mastodon(tg_runtime, f"telegram:{USER}", mastodon.url)
    await post(client, updates.message(text="сейчас в mastodon: Мы открылись"))
    scheduled = await _reply_starting(telegram, "🗓 Запланировано на ")
    assert _labels(scheduled) == ["✖ Отменить", "Изменить время", "Опубликовать сейчас"]
    done = await _reply_starting(telegram, "✅ Опубликовано:")
    assert mastodon.statuses[0]["url"] in done["text"]


async def test_failed_spanish_post_offers_its_retry_in_spanish(
    client: Client, telegram: FakeTelegram, tg_runtime: Runtime, mastodon: FakeMastodon,
    updates: Updates, tg_worker: object,
) -> None:  # fmt: skip
    await connect_mastodon(tg_runtime, f"telegram:{USER}", mastodon.url)
    mastodon.fail_next("401")
    await post(client, updates.message(text="ahora en mastodon: ¡Abrimos!"))
    failed = await _reply_starting(telegram, "❌ No publicada:")
    assert _labels(failed) == ["Reintentar"]


async def test_spanish_request_with_a_problem_is_answered_in_spanish(
    client: Client, telegram: FakeTelegram, tg_runtime: Runtime, mastodon: FakeMastodon,
    updates: Updates,
) -> None:  # fmt: skip
    await connect_mastodon(tg_runtime, f"telegram:{USER}", mastodon.url)
    await post(client, updates.message(text="mañana a las 9 en mastodon:"))
    answer, welcome = replies(telegram)
    assert answer["text"].startswith("No pude programar eso:")
    assert "El texto tras los dos puntos está vacío" in answer["text"]
    assert "La publicación no tiene texto" in answer["text"]
    # First contact: the welcome is in the same language.
    assert welcome["text"].startswith("👋 ¡Hola! Leo las horas en UTC")
    assert await tg_runtime.posts.search(
        (await tg_runtime.workspaces.by_name(f"telegram:{USER}")).id, None, None, None, 10, 0
    ) == []


async def test_chat_language_wins_over_the_message(
    client: Client, telegram: FakeTelegram, tg_runtime: Runtime, mastodon: FakeMastodon,
    updates: Updates,
) -> None:  # fmt: skip
    await connect_mastodon(tg_runtime, f"telegram:{USER}", mastodon.url)
    await post(client, updates.message(text="/language es"))
    assert replies(telegram)[0]["text"] == "Responderé en español en este chat."
    assert replies(telegram)[1]["text"].startswith("👋 ¡Hola!")
    await post(client, updates.message(text="tomorrow 9am to mastodon: Hello"))
    assert replies(telegram)[2]["text"].startswith("🗓 Programada para el ")
    await post(client, updates.message(text="/posts"))
    assert replies(telegram)[3]["text"].startswith("Próximas publicaciones:")
    await post(client, updates.message(text="/language auto"))
    await post(client, updates.message(text="tomorrow 10am to mastodon: Hello again"))
    assert replies(telegram)[5]["text"].startswith("🗓 Scheduled for ")


async def test_photo_without_caption_is_answered_in_the_chat_language(
    client: Client, telegram: FakeTelegram, tg_runtime: Runtime, updates: Updates,
) -> None:  # fmt: skip
    await post(client, updates.message(text="/language ru"))
    await post(client, updates.message(photo=("ph-1", 900)))
    assert replies(telegram)[-1]["text"].startswith(
        "Добавьте к одной из фотографий подпись — когда и куда, например «завтра в 9 утра"
    )


async def _answer(client: Client, telegram: FakeTelegram, updates: Updates, text: str) -> str:
    """Send ``text`` in the private chat; the first reply it gets."""
    before = len(replies(telegram))
    await post(client, updates.message(text=text))
    return str(replies(telegram)[before]["text"])


REFUSALS = {
    "es": ("No pude programar eso:", (
        ("mañana a las 9 en mastodon: " + "a" * 600,
         "• @outpost@fake.social: el texto tiene 600 caracteres; Mastodon admite 500"),
        ("mañana a las 9 en klingon: Hola", "• No conozco «klingon». Conectadas: mastodon:"),
        ("ayer a las 9 en mastodon: Hola", "ya pasó. Elige una hora futura"),
        ("cada mes el viernes a las 9 en mastodon: Hola",
         "un día de la semana en una repetición mensual o anual necesita cuál"),
    )),
    "ru": ("Не удалось запланировать:", (
        ("завтра в 9 утра в mastodon: " + "а" * 600,
         "• @outpost@fake.social: в тексте 600 символов; Mastodon допускает 500"),
        ("завтра в 9 утра в klingon: Привет", "• Я не знаю «klingon». Подключены: mastodon:"),
        ("вчера в 9 утра в mastodon: Привет", "уже в прошлом"),
    )),
}


async def test_spanish_and_russian_refusals_are_in_their_language(
    client: Client, telegram: FakeTelegram, tg_runtime: Runtime, mastodon: FakeMastodon,
    updates: Updates,
) -> None:  # fmt: skip
    await connect_mastodon(tg_runtime, f"telegram:{USER}", mastodon.url)
    for head, cases in REFUSALS.values():
        for request, expected in cases:
            text = await _answer(client, telegram, updates, request)
            assert text.startswith(head), text
            assert expected in text, text
            assert english_in(text) == [], text
    ws = await tg_runtime.workspaces.by_name(f"telegram:{USER}")
    assert await tg_runtime.posts.search(ws.id, None, None, None, 10, 0) == []


async def test_failed_russian_post_replies_in_russian(
    client: Client, telegram: FakeTelegram, tg_runtime: Runtime, mastodon: FakeMastodon,
    updates: Updates, tg_worker: object,
) -> None:  # fmt: skip
    await connect_mastodon(tg_runtime, f"telegram:{USER}", mastodon.url)
    mastodon.fail_next("401")
    await post(client, updates.message(text="сейчас в mastodon: Мы открылись"))
    failed = await _reply_starting(telegram, "❌ Не опубликовано:")
    assert "Mastodon отклонил токен аккаунта (401" in failed["text"]
    assert "Переподключите аккаунт, затем нажмите «Повторить»." in failed["text"]
    assert english_in(failed["text"]) == []
    assert _labels(failed) == ["Повторить"]


async def test_accounts_and_digest_answers_are_in_spanish(
    client: Client, telegram: FakeTelegram, tg_runtime: Runtime, mastodon: FakeMastodon,
    updates: Updates,
) -> None:  # fmt: skip
    await connect_mastodon(tg_runtime, f"telegram:{USER}", mastodon.url)
    await post(client, updates.message(text="/language es"))
    accounts = await _answer(client, telegram, updates, "/accounts")
    assert accounts.startswith("Cuentas conectadas:\n• mastodon:@outpost@fake.social — ok\n\n")
    assert "Plan: unlimited — cuentas 1, publicaciones este mes 0, miembros 1" in accounts
    on = await _answer(client, telegram, updates, "/digest on")
    assert on.startswith("Cada lunes publicaré aquí lo programado para la semana")
    off = await _answer(client, telegram, updates, "/digest off")
    assert off == (
        "No habrá más resúmenes semanales aquí. <code>digest on</code> los vuelve a activar."
    )
    help_text = await _answer(client, telegram, updates, "/help")
    assert "<code>digest on</code> (un resumen semanal en este chat" in help_text
    for text in (accounts, on, off, help_text):
        assert english_in(text) == [], text


async def test_error_reports_follow_the_chat_language(
    client: Client, telegram: FakeTelegram, tg_services: Services, updates: Updates,
) -> None:  # fmt: skip
    await post(client, updates.message(text="/language ru"))
    bot = await tg_services.ready_bot()
    handler = make_handler(tg_services, "secret")
    update = Update.de_json(updates.message(text="posts"), bot)  # English words, Russian chat
    for error, said in (
        (NotFound(msg("No post {id} in this workspace.", id="3f2b")),
         "В этом рабочем пространстве нет публикации 3f2b."),
        (RuntimeError("boom"), "У меня что-то пошло не так"),
    ):  # fmt: skip
        await handler(update, SimpleNamespace(error=error, bot=bot))
        assert replies(telegram)[-1]["text"].startswith(said)
