"""Settings name the variable that is wrong; tokens are encrypted and keys rotate."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from core.crypto import TokenCipher
from core.errors import ConfigError
from core.settings import load_settings


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "ENCRYPTION_KEYS", "PORT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("DATABASE_URL", "mysql://nope"),
        ("REDIS_URL", "http://localhost"),
        ("PORT", "eighty"),
        ("ENCRYPTION_KEYS", "not-a-key"),
        ("TELEGRAM_MODE", "carrier-pigeon"),
    ],
)
def test_malformed_setting_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, variable: str, value: str
) -> None:
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "d"))
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert variable in str(caught.value)


def test_missing_required_pair_names_it(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "d"))
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:abc")
    with pytest.raises(ConfigError, match="TELEGRAM_WEBHOOK_SECRET"):
        load_settings()
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "s")
    monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET", "t")
    with pytest.raises(ConfigError, match="SLACK_BOT_TOKEN"):
        load_settings()


def test_production_requires_secrets(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("OUTPOST_ENV", "production")
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "d"))
    with pytest.raises(ConfigError, match="SECRET_KEY, ENCRYPTION_KEYS"):
        load_settings()


def test_dev_secrets_are_generated_once(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "d"))
    first = load_settings()
    second = load_settings()
    assert first.secret_key.get_secret_value() == second.secret_key.get_secret_value()
    assert first.encryption_keys.get_secret_value() == second.encryption_keys.get_secret_value()
    assert (tmp_path / "d" / "secrets.json").stat().st_mode & 0o777 == 0o600
    shown = repr(first) + str(first.model_dump())
    assert first.secret_key.get_secret_value() not in shown
    assert first.encryption_keys.get_secret_value() not in shown


def test_rotation_reads_old_and_writes_new() -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    stored = TokenCipher([old]).encrypt("xoxb-secret-token")
    assert "xoxb" not in stored
    rotated_cipher = TokenCipher([new, old])
    assert rotated_cipher.decrypt(stored) == "xoxb-secret-token"
    rotated = rotated_cipher.rotate(stored)
    assert TokenCipher([new]).decrypt(rotated) == "xoxb-secret-token"
    with pytest.raises(ConfigError, match="ENCRYPTION_KEYS"):
        TokenCipher([new]).decrypt(stored)


def test_a_remembered_token_is_tied_to_its_exact_ciphertext() -> None:
    cipher = TokenCipher([Fernet.generate_key().decode()])
    stored = cipher.encrypt("xoxb-secret-token")
    assert cipher.decrypt(stored) == cipher.decrypt(stored) == "xoxb-secret-token"
    tampered = stored[:-6] + ("AAAA" if stored[-6:-2] != "AAAA" else "BBBB") + stored[-2:]
    for _ in range(2):  # a failure is not remembered as anything either
        with pytest.raises(ConfigError, match="ENCRYPTION_KEYS"):
            cipher.decrypt(tampered)
