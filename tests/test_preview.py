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


def test_serve_watches_the_data_the_plugin_reads(project):
    """MkDocs watches docs_dir and mkdocs.yml; the plugin adds releases/, customers.yaml and the templates."""
    from extranet.building import load_site_config

    config = load_site_config(project.config)
    plugin = config.plugins["extranet"]
    plugin.on_config(config)
    watched = []

    class Server:
        def watch(self, path: str) -> None:
            watched.append(path)

    server = Server()
    assert plugin.on_serve(server, config=config, builder=lambda: None) is server
    root = project.root.resolve()
    assert watched == [str(root / "releases"), str(root / "customers.yaml"), str(root / "site_templates")]


def test_mkdocs_serve_rebuilds_when_a_release_changes(project):
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "mkdocs", "serve", "-a", f"127.0.0.1:{port}"],
                              cwd=project.root, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}/en/releases/1.1.0/"
    try:
        assert "Release 1.1.0" in _fetch(url, server)
        project.replace("releases/1.1.0.yaml", "en: Release 1.1.0", "en: Release 1.1.0 renamed by the test")
        deadline = time.monotonic() + 60
        while "renamed by the test" not in _fetch(url, server):
            assert time.monotonic() < deadline, "mkdocs serve did not rebuild within 60 s of the release changing"
            time.sleep(0.5)
    finally:
        server.terminate()
        server.wait(timeout=10)


def _fetch(url: str, server: subprocess.Popen) -> str:
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.read().decode()
        except OSError:
            assert server.poll() is None, server.stderr.read()
            assert time.monotonic() < deadline, "mkdocs serve did not answer within 60 s"
            time.sleep(0.5)


def test_make_serve_takes_the_port():
    from .conftest import REPO

    result = subprocess.run(["make", "-n", "-C", str(REPO), "serve", "PORT=8001"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert ".venv/bin/mkdocs serve -a 127.0.0.1:8001" in result.stdout
