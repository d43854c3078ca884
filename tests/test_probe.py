"""`extranet probe`: the access matrix against a live URL, here the real nginx, Apache and Caddy the
access tests start (the demo with one user removed and one customer revoked), run through `cli.main`
as a vendor runs it after a deploy."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from extranet import access, cli, servers

from .conftest import REPO
from .servers import CREDENTIALS, REMOVED, REVOKED, Server, Site, free_port

DEMO_CREDENTIALS = REPO / "tests/fixtures/demo-credentials.yaml"
PASSWORDS = [entry["password"] for entry in CREDENTIALS]


def probe(site: Site, url: str, credentials: Path, capsys: pytest.CaptureFixture[str], *options: str,
          output: Path | None = None) -> tuple[int, str, str]:
    status = cli.main(["-f", str(site.root / "mkdocs.yml"), "probe", url, "--credentials", str(credentials),
                       "--output", str(output or site.output), *options])
    out, err = capsys.readouterr()
    return status, out, err


def url(server: Server) -> str:
    return f"http://127.0.0.1:{server.port}{server.base}"


def summary(visitors: int, files: int, mismatches: int) -> str:
    return f"probe: {visitors * files} cells, {mismatches} mismatches ({visitors} visitors x {files} files)\n"


def no_password(*texts: str) -> None:
    leaked = [password for password in PASSWORDS if any(password in text for text in texts)]
    assert not leaked, "a password was printed"


@pytest.mark.parametrize("name", servers.SERVERS)
def test_the_probe_finds_every_server_as_the_rules_say(site: Site, running: dict[str, Server], name: str, capsys):
    """Every file x anonymous and each of the demo's 13 logins, of which one is removed from
    customers.yaml and two belong to the revoked customer: 0 mismatches, exit 0."""
    status, out, err = probe(site, url(running[name]), DEMO_CREDENTIALS, capsys)
    files = len(site.files())
    assert (status, out) == (0, summary(1 + len(CREDENTIALS), files, 0)), err
    shut_out = [entry["login"] for entry in CREDENTIALS if entry["login"] == REMOVED or entry["customer"] == REVOKED]
    assert len(shut_out) == 3
    notes = [line for line in err.splitlines() if "not a user" in line]
    assert notes == [f"probe: {login}: not a user in the project's data (removed, or its customer revoked): "
                     f"expected to open public files only" for login in shut_out]
    no_password(out, err)
