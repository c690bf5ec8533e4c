"""Telegram answers in the language the request was written in, or the one the chat set:
the confirmation, its buttons, the problems and the reply once a real worker published."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient

from scheduler.runtime import Runtime
from tests.fakes.mastodon import FakeMastodon
from tests.fakes.telegram import FakeTelegram
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
