"""Worker processes for fault tests: real ``outpost worker`` subprocesses."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from core.settings import Settings
from tests.support import ROOT, env_for


class WorkerProcess:
    """One ``outpost worker`` with the test's settings; logs go to a file for post-mortems."""

    def __init__(self, settings: Settings, log_dir: Path, name: str = "w", **env: str) -> None:
        self.settings = settings
        self.log_path = log_dir / f"worker-{name}-{os.getpid()}.log"
        self.env = env_for(settings, **env)
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> WorkerProcess:
        with self.log_path.open("ab") as log:  # the child keeps its own copy of the descriptor
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "app.cli", "worker"],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        return self

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(sig)

    def wait(self, timeout: float = 30) -> int:
        assert self.proc is not None
        return self.proc.wait(timeout)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
