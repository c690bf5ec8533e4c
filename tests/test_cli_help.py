"""``outpost accounts add`` says what it needs: the handle is required, not looked up."""

from __future__ import annotations

import pytest

from app.cli import main


def test_accounts_add_help_says_the_handle_is_required(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["accounts", "add", "--help"])
    assert done.value.code == 0
    shown = capsys.readouterr().out
    assert "--handle HANDLE" in shown
    assert "[--handle" not in shown  # not shown as optional
    assert "default: from the platform" not in shown


def test_accounts_add_without_a_handle_is_refused_before_anything_runs(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as done:
        main(["accounts", "add", "mastodon", "--workspace", "acme", "--token", "t"])
    assert done.value.code == 2
    assert "the following arguments are required: --handle" in capsys.readouterr().err
