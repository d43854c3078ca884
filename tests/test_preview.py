"""`mkdocs serve` for maintainers: it works, and every page says access control is off."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_mkdocs_serve_shows_the_preview_banner(project):
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "mkdocs", "serve", "--no-livereload", "-a", f"127.0.0.1:{port}"],
                              cwd=project.root, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/customers/alpha/", timeout=2) as response:
                    page = response.read().decode()
                break
            except OSError:
                assert server.poll() is None, server.stderr.read()
                assert time.monotonic() < deadline, "mkdocs serve did not answer within 60 s"
                time.sleep(0.5)
        assert "Náhled: řízení přístupu je vypnuté, každou stránku vidí každý." in page
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/en/", timeout=2) as response:
            assert "Preview: access control is off; every page is visible to everyone." in response.read().decode()
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_a_normal_build_has_no_banner(demo_site):
    assert "access control is off" not in (demo_site / "en/index.html").read_text()
    assert "Náhled: řízení přístupu" not in (demo_site / "index.html").read_text()
