"""``docker compose up`` starts on its first run: the image is production, and compose.yaml
opts in to keys made once on the data volume. Tested on the settings path, without Docker."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml

from core.errors import ConfigError
from core.settings import load_settings
from tests.support import ROOT


def _compose_environment(data_dir: Path) -> dict[str, str]:
    """What the compose services run with: the Dockerfile's ENV, then compose's environment."""
    image = dict(re.findall(r"^ENV (\w+)=(\S+)$", (ROOT / "Dockerfile").read_text(), re.M))
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    env = {**image, **{k: str(v) for k, v in compose["x-outpost"]["environment"].items()}}
    return {**env, "DATA_DIR": str(data_dir)}


@pytest.fixture
def compose_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, str]:
    for name in ("SECRET_KEY", "ENCRYPTION_KEYS", "OUTPOST_GENERATE_SECRETS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env
    env = _compose_environment(tmp_path / "volume")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


def test_the_first_compose_start_makes_keys_once_on_the_volume(
    compose_env: dict[str, str], tmp_path: Path
) -> None:
    assert compose_env["OUTPOST_ENV"] == "production"
    first = load_settings()
    again = load_settings()
    assert first.secret_key.get_secret_value() == again.secret_key.get_secret_value()
    assert first.encryption_keys.get_secret_value() == again.encryption_keys.get_secret_value()
    stored = tmp_path / "volume" / "secrets.json"
    assert stored.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in stored.parent.iterdir()] == ["secrets.json"]
    assert not first.private_urls_allowed  # still production in every other way


def test_migrate_web_and_worker_starting_at_once_agree_on_the_keys(
    compose_env: dict[str, str],
) -> None:
    with ThreadPoolExecutor(8) as pool:
        made = list(pool.map(lambda _: load_settings().secret_key.get_secret_value(), range(16)))
    assert len(set(made)) == 1


def test_production_without_keys_or_the_opt_in_still_stops(
    compose_env: dict[str, str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("OUTPOST_GENERATE_SECRETS")
    with pytest.raises(ConfigError, match="SECRET_KEY, ENCRYPTION_KEYS") as caught:
        load_settings()
    assert "OUTPOST_GENERATE_SECRETS=true" in str(caught.value.hint)
    assert not (tmp_path / "volume").exists()


def test_keys_set_in_the_environment_win(
    compose_env: dict[str, str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("SECRET_KEY", "operator-chosen-secret-key-0123456789")
    monkeypatch.setenv("ENCRYPTION_KEYS", load_settings().encryption_keys.get_secret_value())
    (tmp_path / "volume" / "secrets.json").unlink()
    chosen = load_settings()
    assert chosen.secret_key.get_secret_value() == "operator-chosen-secret-key-0123456789"
    assert not (tmp_path / "volume" / "secrets.json").exists()
