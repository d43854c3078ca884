"""Caddy specifics the access matrix does not show: the hash cache, the config Caddy really loads,
/login/ and /logout/, paths that try to slip past the area rules, and the fail2ban filter."""

from __future__ import annotations

import base64
import configparser
import json
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from extranet import access, escaping, servers
from extranet.building import validate

from .conftest import NOW_DT, REPO
from .servers import CREDENTIALS, Server, free_port, load_site, start, stop


@pytest.fixture(scope="module")
def caddy(demo_site: Path, tmp_path_factory: pytest.TempPathFactory):
    server = start("caddy", load_site(REPO, demo_site.parent, NOW_DT), tmp_path_factory.mktemp("caddy"))
    yield server
    stop(server)


def caddy_cli(server: Server, *arguments: str) -> subprocess.CompletedProcess:
    """Run `caddy <arguments>` as the standalone run does (same environment, through `env`)."""
    command = servers.command("caddy", server.runtime)
    program = next(i for i, part in enumerate(command) if part.endswith("/caddy"))
    return subprocess.run([*command[:program + 1], *arguments], capture_output=True, text=True, timeout=60)


def values(node: object, key: str):
    """Every value under `key` anywhere in a JSON document."""
    if isinstance(node, dict):
        for name, value in node.items():
            if name == key:
                yield value
            yield from values(value, key)
    elif isinstance(node, list):
        for item in node:
            yield from values(item, key)


def basic(login: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{login}:{password}".encode()).decode()}


def user(customer: str | None) -> dict:
    return next(c for c in CREDENTIALS if c["customer"] == customer)


def test_the_config_caddy_loads_has_the_hash_cache_on_every_login_check(caddy: Server):
    config = caddy.runtime / "files/caddy/standalone.caddy"
    checked = caddy_cli(caddy, "validate", "--adapter", "caddyfile", "--config", str(config))
    assert checked.returncode == 0, checked.stderr
    adapted = caddy_cli(caddy, "adapt", "--adapter", "caddyfile", "--config", str(config))
    assert adapted.returncode == 0, adapted.stderr
    loaded = json.loads(adapted.stdout)
    assert loaded["admin"] == {"disabled": True}
    (server,) = loaded["apps"]["http"]["servers"].values()
    assert server["listen"] == [f"127.0.0.1:{caddy.port}"] and server["automatic_https"] == {"disable": True}
    providers = list(values(loaded, "http_basic"))
    assert len(providers) == 1
    (provider,) = providers
    assert "hash_cache" in provider, "without the hash cache every request pays a bcrypt check"
    assert provider["hash"] == {"algorithm": "bcrypt"}
    extranet = validate(REPO / "mkdocs.yml")
    assert {a["username"]: a["password"] for a in provider["accounts"]} == {
        p.login: p.password_hash for p in access.principals(extranet)}


def test_the_hashes_are_in_a_file_only_its_owner_reads(demo_site: Path):
    directory = demo_site.parent / "server/caddy"
    assert (directory / "accounts.caddy").stat().st_mode & 0o777 == 0o600
    assert "$2" in (directory / "accounts.caddy").read_text()
    for other in sorted(set(directory.iterdir()) - {directory / "accounts.caddy"}):
        assert "$2b$" not in other.read_text() and other.stat().st_mode & 0o777 == 0o644, other.name


def test_login_lands_each_user_on_their_page_and_logout_deletes_the_cookie_session(caddy: Server):
    """Caddy cannot sign a cookie: login/ keeps the checked Basic credentials in an HttpOnly cookie
    that stands for the Authorization header; logout deletes it (it used to answer 401 and hope the
    browser forgot a password it had cached: now the browser never caches one)."""
    extranet = validate(REPO / "mkdocs.yml")
    for customer in (None, "strojirny-labe", "elbe-precision"):
        entry = user(customer)
        principal = next(p for p in access.principals(extranet) if p.login == entry["login"])
        status, headers, _ = caddy.request("/login/", basic(entry["login"], entry["password"]))
        assert (status, headers["location"]) == (302, caddy.base + servers.landing(extranet, principal))
        assert headers["cache-control"] == "private, no-store"
    status, headers, _ = caddy.request("/login/")
    assert status == 401 and headers["www-authenticate"].startswith("Basic realm=")
    entry = user("strojirny-labe")
    status, headers, _ = caddy.request("/login/", basic(entry["login"], entry["password"]))
    auth = next(line for line in headers["set-cookie"].splitlines() if line.startswith("extranet_auth="))
    assert auth.split("; ")[1:] == [f"Path={caddy.base}", "HttpOnly", "SameSite=Lax"]  # no Max-Age: gone with the browser
    cookie = {"Cookie": auth.split(";")[0]}
    assert caddy.request("/customers/strojirny-labe/", cookie)[0] == 200
    assert caddy.request("/customers/elbe-precision/", cookie)[0] == 403
    forged = {"Cookie": "extranet_auth=" + base64.b64encode(f"{entry['login']}:guess".encode()).decode()}
    assert caddy.request("/customers/strojirny-labe/", forged)[0] == 401
    status, headers, body = caddy.request("/logout/", cookie)
    assert status == 302 and headers["location"] == caddy.base and headers["cache-control"] == "private, no-store"
    assert f"extranet_auth=; Path={caddy.base}; HttpOnly; SameSite=Lax; Max-Age=0" in headers["set-cookie"].splitlines()


@pytest.mark.parametrize("path", [
    "/assets/../customers/teplo-servis/", "/assets/%2e%2e/customers/teplo-servis/index.html",
    "/assets%2f..%2fcustomers/teplo-servis/index.html", "//customers/teplo-servis/", "/support/../staff/",
    "/support//../customers/teplo-servis/", "/en/support/%2e%2e/%2e%2e/staff/index.html",
])
def test_paths_that_climb_out_of_a_public_area_do_not_open_another(caddy: Server, path: str):
    connection_user = user("strojirny-labe")
    for credentials in ({}, basic(connection_user["login"], connection_user["password"])):
        status, headers, body = caddy.request(path, credentials)
        assert status in (401, 403, 404), (path, status)
        assert b"teplo-servis" not in body and headers["cache-control"] == "private, no-store"


def test_case_does_not_turn_a_private_path_public(caddy: Server):
    """Caddy's `path` matcher ignores case; the areas use `path_regexp`, which does not."""
    status, _, _ = caddy.request("/Support/")
    assert status == 401


def test_fail2ban_filter_counts_failed_logins_only(caddy: Server):
    filter_conf = configparser.ConfigParser(interpolation=None)
    filter_conf.read(caddy.runtime / "files/caddy/fail2ban-filter.conf")
    failregex = re.compile(filter_conf["Definition"]["failregex"].replace("<HOST>", r"(?P<host>[^\"]+)"))
    log = caddy.runtime / "access.log"
    # Caddy logs a request after answering it, so an earlier test's last line may still be on its
    # way: count from a request of our own, once it is logged.
    marker = f"/assets/fail2ban-test-{time.monotonic_ns()}"
    caddy.request(marker)
    deadline = time.monotonic() + 5
    while not any(marker in line for line in log.read_text().splitlines()) and time.monotonic() < deadline:
        time.sleep(0.05)
    before = next(n for n, line in enumerate(log.read_text().splitlines(), 1) if marker in line)
    entry = user("pekarny-podripsko")
    failures = [basic(entry["login"], "wrong"), basic("nobody", "wrong"), {"Authorization": "Bearer x"}]
    fine = [{}, basic(entry["login"], entry["password"])]
    for headers in failures + fine:
        caddy.request("/releases/", headers)
    caddy.request("/logout/", basic(entry["login"], entry["password"]))
    caddy.request("/support/", basic(entry["login"], "wrong"))  # public: no password is checked
    caddy.request("/customers/strojirny-labe/", basic(entry["login"], entry["password"]))  # 403
    expected = len(failures) + len(fine) + 3
    deadline = time.monotonic() + 5  # Caddy logs a request after answering it: wait for the last line
    while len(lines := log.read_text().splitlines()[before:]) < expected and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(lines) == expected
    matched = [m for m in map(failregex.search, lines) if m]
    assert len(matched) == len(failures) and {m["host"] for m in matched} == {"127.0.0.1"}
    assert all('"Authorization":[]' in line for line in lines if "Authorization" in line), "credentials logged"


def test_caddyfile_tokens():
    assert escaping.caddyfile("anneca.horakova") == "anneca.horakova"
    assert escaping.caddyfile("private, no-store") == '"private, no-store"'
    assert escaping.caddyfile('Basic realm="X"') == '`Basic realm="X"`'
    assert escaping.caddyfile(r"^/a\.b$") == r"`^/a\.b$`"
    for bad in ("{$HOME}", "a{b}", "line\nbreak", "", "`\"both\"`"):
        with pytest.raises(ValueError):
            escaping.caddyfile(bad)
    assert escaping.regex_literal("/a.b+c/") == r"/a\.b\+c/"


@pytest.mark.servers
def test_extranet_serve_runs_caddy_in_the_foreground_until_sigterm(demo_site: Path):
    """It serves under the path of site_url (the demo's /extranet/) and says the full URL."""
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "extranet.cli", "serve", "--server", "caddy", "--port", str(port),
                                "--output", str(demo_site.parent)], cwd=REPO, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/extranet/support/", timeout=5) as response:
                    assert response.status == 200
                break
            except OSError:
                assert process.poll() is None and time.monotonic() < deadline, process.stdout.read()
                time.sleep(0.1)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
    finally:
        process.kill()
    assert f"with caddy on http://127.0.0.1:{port}/extranet/ (Ctrl+C stops)" in process.stdout.read()
    with pytest.raises(OSError):
        urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2)
