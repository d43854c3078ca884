"""`extranet serve` picks up a rebuild: the users and rules of the new build, without a restart.

Each server is reloaded its own way (nginx HUP, Apache's graceful USR1, Caddy restarted), so each
is started for real: a user added and a page for one customer only, rebuilt while it serves.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from extranet.cli import main

from .conftest import NOW, Project
from .servers import Server, Visitor, free_port

pytestmark = pytest.mark.servers  # each test runs `extranet serve` with nginx, Apache or Caddy

PASSWORD = "serve-test-password-1"


def cli(project: Project, *args: str, stdin: str | None = None) -> None:
    if stdin is not None:
        sys.stdin = io.TextIOWrapper(io.BytesIO(stdin.encode()), encoding="utf-8")  # MkDocs reads .buffer
    try:
        assert main(["-f", str(project.config), *args]) == 0
    finally:
        sys.stdin = sys.__stdin__


class Serving:
    """`extranet serve` in a child process, its output collected line by line."""

    def __init__(self, project: Project, server: str, output: Path):
        self.port = free_port()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "extranet.cli", "-f", str(project.config), "serve", "--server", server,
             "--port", str(self.port), "--output", str(output)],
            cwd=project.root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.lines: list[str] = []
        threading.Thread(target=lambda: self.lines.extend(self.process.stdout), daemon=True).start()
        self.server = Server(server, self.port, self.process, project.root)
        self.visits = 0

    def wait_for(self, marker: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while not any(marker in line for line in self.lines):
            assert self.process.poll() is None and time.monotonic() < deadline, "".join(self.lines)
            time.sleep(0.1)

    def status(self, login: str, path: str, timeout: float = 20) -> int:
        """The status `path` answers `login` with, once the server answers at all."""
        deadline = time.monotonic() + timeout
        while True:
            self.visits += 1  # a fresh loopback address each time: servers limit logins per address
            visitor = Visitor(login, login, PASSWORD, address=f"127.0.1.{self.visits}")
            try:
                status, _, _ = self.server.request(path, self.server.credentials(visitor), source=visitor.address)
                return status
            except OSError:  # not listening yet, or Caddy being restarted
                assert self.process.poll() is None and time.monotonic() < deadline, "".join(self.lines)
                time.sleep(0.1)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        finally:
            self.process.kill()


@pytest.mark.parametrize("server", ["nginx", "apache", "caddy"])
def test_serve_picks_up_a_rebuilds_users_and_rules(project: Project, tmp_path: Path, server: str):
    output = tmp_path / "out"
    cli(project, "user", "passwd", "beta.one", "--password-stdin", stdin=PASSWORD + "\n")
    cli(project, "build", "--now", NOW, "--output", str(output))
    serving = Serving(project, server, output)
    try:
        serving.wait_for("(Ctrl+C stops)")
        assert serving.status("beta.one", "/guides/install/") == 200
        assert serving.status("alpha.two", "/guides/install/") != 200  # not a user yet

        cli(project, "user", "add", "alpha", "alpha.two", "--name", "Ann Alpha", "--email", "ann@alpha.example",
            "--password-stdin", stdin=PASSWORD + "\n")
        for language in ("cs", "en"):  # a new rule: this directory is for customer beta only
            project.write(f"content/{language}/customers/beta/notes.md", "# Notes\n")
        cli(project, "build", "--now", NOW, "--output", str(output))
        serving.wait_for(f"rebuilt: {server} reloaded with the new build's users and rules")

        deadline = time.monotonic() + 20
        while serving.status("alpha.two", "/guides/install/") != 200:
            assert time.monotonic() < deadline, "".join(serving.lines)
            time.sleep(0.2)
        assert serving.status("beta.one", "/customers/beta/notes/") == 200
        assert serving.status("alpha.two", "/customers/beta/notes/") in (302, 401, 403)
        assert serving.process.poll() is None
    finally:
        serving.stop()


def test_serve_keeps_the_previous_build_when_the_rebuild_cannot_be_served(project: Project, tmp_path: Path):
    """A build whose recorded base path cannot be served: serve says so, and what to do, and goes on."""
    output = tmp_path / "out"
    cli(project, "user", "passwd", "beta.one", "--password-stdin", stdin=PASSWORD + "\n")
    cli(project, "build", "--now", NOW, "--output", str(output))
    serving = Serving(project, "nginx", output)
    try:
        serving.wait_for("(Ctrl+C stops)")
        built = output / "server/access.json"
        described = json.loads(built.read_text(encoding="utf-8"))
        (output / "access.json").write_text(json.dumps({**described, "base": "/a b/"}), encoding="utf-8")
        (output / "access.json").replace(built)  # in one step, as a build's swap
        serving.wait_for("still serving the previous build")
        assert [line for line in serving.lines if "rebuilt" in line] == [
            f"extranet serve: {output} was rebuilt, but cannot be served ({built}: site_url: the path '/a b/' cannot "
            "be served: use segments of letters, digits, '.', '_', '~' and '-' (found 'a b')); still serving the "
            "previous build: fix it and build again, or restart `extranet serve`\n"]
        assert serving.status("beta.one", "/guides/install/") == 200
    finally:
        serving.stop()
