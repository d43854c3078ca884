"""`extranet probe`: the access matrix against a live URL, here the real nginx, Apache and Caddy the
access tests start (the demo with one user removed and one customer revoked), run through `cli.main`
as a vendor runs it after a deploy."""

from __future__ import annotations

import base64
import http.server
import itertools
import json
import shutil
import threading
from pathlib import Path

import pytest
import yaml

from extranet import access, cli, servers
from extranet import probe as probe_module

from . import edge
from .conftest import REPO
from .servers import CREDENTIALS, REMOVED, REVOKED, Server, Site, free_port

DEMO_CREDENTIALS = REPO / "tests/fixtures/demo-credentials.yaml"
ADDRESSES = itertools.count(1)


@pytest.fixture(autouse=True)
def own_address(monkeypatch: pytest.MonkeyPatch) -> str:
    """Each test probes from a loopback address of its own (127.0.2.N): the servers limit logins per
    address, and the probe's logins must not use up what later tests log in with from 127.0.0.1."""
    address = f"127.0.2.{next(ADDRESSES)}"
    monkeypatch.setattr(probe_module.Client, "source_address", (address, 0))
    return address
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


@pytest.mark.parametrize("name", edge.TARGETS)
def test_the_probe_finds_every_server_as_the_rules_say(request: pytest.FixtureRequest, site: Site,
                                                       running: dict[str, Server], name: str, capsys):
    """Every file x anonymous and each of the demo's 13 logins, of which one is removed from
    customers.yaml and two belong to the revoked customer: 0 mismatches, exit 0. On the CloudFront
    edge too (the emulated distribution): what a vendor runs against the live one after a deploy."""
    status, out, err = probe(site, url(edge.target(request, site, running, name)), DEMO_CREDENTIALS, capsys)
    files = len(site.files())
    assert (status, out) == (0, summary(1 + len(CREDENTIALS), files, 0)), err
    shut_out = [entry["login"] for entry in CREDENTIALS if entry["login"] == REMOVED or entry["customer"] == REVOKED]
    assert len(shut_out) == 3
    notes = [line for line in err.splitlines() if "not a user" in line]
    assert notes == [f"probe: {login}: not a user in the project's data (removed, or its customer revoked): "
                     f"expected to open public files only" for login in shut_out]
    no_password(out, err)


def made_public(site: Site, directory: Path, path: str) -> Path:
    """A copy of the site's build whose access.json makes `path` (a customer's directory) public: a
    deliberately wrong expectation, which a correct server must contradict."""
    output = directory / "build"
    shutil.copytree(site.output, output, symlinks=True)
    record = json.loads((output / "server/access.json").read_text(encoding="utf-8"))
    record["areas"].insert(0, {"path": path, "audience": access.PUBLIC, "customer": None, "prefix": True})
    (output / "server/access.json").write_text(json.dumps(record), encoding="utf-8")
    return output


def credentials_file(directory: Path, *entries: dict[str, object]) -> Path:
    path = directory / "credentials.yaml"
    path.write_text(yaml.safe_dump(list(entries)), encoding="utf-8")
    return path


def entry(login: str) -> dict[str, object]:
    return next(dict(entry) for entry in CREDENTIALS if entry["login"] == login)


REFUSED = {"nginx": ("denied (302 to login/)", "denied (403)"), "apache": ("denied (302 to login/)", "denied (403)"),
           "caddy": ("denied (401)", "denied (403)"), edge.NAME: ("denied (302 to login/)", "denied (403)")}
"""How each server refuses (anonymous, a customer's user outside their area), as the probe words it."""


@pytest.mark.parametrize("name", edge.TARGETS)
def test_a_wrong_expectation_is_reported_file_by_file(request: pytest.FixtureRequest, site: Site,
                                                      running: dict[str, Server], name: str, tmp_path: Path, capsys):
    """A build whose rules say elbe-precision's pages are public: the server refuses them to an
    anonymous visitor and to another customer's user (and its staff-only page to the customer's own
    user), and the probe says so, one line per file."""
    output = made_public(site, tmp_path, "customers/elbe-precision/")
    credentials = credentials_file(tmp_path, entry("labe.dvorakova"), entry("elbe.keller"))
    status, out, err = probe(site, url(edge.target(request, site, running, name)), credentials, capsys, output=output)
    pages = [path for path in site.files() if path.startswith("customers/elbe-precision/")]
    assert "customers/elbe-precision/contract/index.html" in pages and len(pages) >= 4
    anonymous, other = REFUSED[name]
    lines = [f"anonymous {path}: expected allowed, got {anonymous}" for path in pages]
    lines += [f"labe.dvorakova {path}: expected allowed, got {other}" for path in pages]
    # Their own customer's staff-only page (customers/elbe-precision/internal.md), public by these rules too.
    lines += [f"elbe.keller customers/elbe-precision/internal/index.html: expected allowed, got {other}"]
    assert (status, out) == (1, "\n".join(lines) + "\n" + summary(3, len(site.files()), len(lines))), err
    no_password(out, err)


@pytest.mark.parametrize("name", servers.SERVERS)
def test_a_wrong_password_in_the_credentials_file_is_reported_and_never_printed(
        site: Site, running: dict[str, Server], name: str, tmp_path: Path, capsys):
    """The project's data says elbe.keller reads their pages; the login with a wrong password opens
    none of them: one mismatch per file they should read and anonymous may not, and no password in
    the output, neither the wrong one nor the right one."""
    wrong = {**entry("elbe.keller"), "password": entry("elbe.keller")["password"] + "-wrong"}
    status, out, err = probe(site, url(running[name]), credentials_file(tmp_path, wrong), capsys)
    elbe = site.principals["elbe.keller"]
    private = [path for path in site.files()
               if access.allowed(elbe, access.area_of(path, site.areas))
               and not access.allowed(None, access.area_of(path, site.areas))]
    assert "customers/elbe-precision/index.html" in private and "releases/index.html" in private
    assert "index.html" not in private and "customers/strojirny-labe/index.html" not in private
    lines = [f"elbe.keller {path}: expected allowed, got {REFUSED[name][0]}" for path in private]
    assert (status, out) == (1, "\n".join(lines) + "\n" + summary(2, len(site.files()), len(lines))), err
    limited = "the login is answered 429"  # nginx's login limit, if the tests before used it up: waited out
    assert [line for line in err.splitlines() if limited not in line] == [
        "probe: elbe.keller: the login is answered 401; probing with HTTP Basic on each request"]
    no_password(out, err)
    assert wrong["password"] not in out + err


USAGE = [
    # (URL, options, exit status, stderr): nothing is asked of any server
    ("http://elbe.keller:IhMLhaaeEr3lM8BP@127.0.0.1:9/extranet/", (), 2,
     "extranet probe: URL: give no user or password in it (user:password@host): they go in --credentials FILE\n"),
    ("ftp://127.0.0.1/extranet/", (), 2, "extranet probe: URL: expected http:// or https:// and a host, e.g. "
     "https://www.example.com/extranet/ (got 'ftp://127.0.0.1/extranet/')\n"),
    ("/extranet/", (), 2, "extranet probe: URL: expected http:// or https:// and a host, e.g. "
     "https://www.example.com/extranet/ (got '/extranet/')\n"),
    ("http://127.0.0.1:9/extranet/?next=/", (), 2, "extranet probe: URL: expected the site's address without "
     "?query or #fragment (got 'http://127.0.0.1:9/extranet/?next=/')\n"),
    ("http://127.0.0.1:99999/extranet/", (), 2,
     "extranet probe: URL: the port is not a number from 0 to 65535 (got 'http://127.0.0.1:99999/extranet/')\n"),
    ("http://127.0.0.1:9/", (), 2, "extranet probe: URL: the build serves the site under /extranet/ (the path of "
     "its site_url), not /: give the site's address, e.g. http://127.0.0.1:9/extranet/\n"),
    ("http://127.0.0.1:9/extranet/releases/", (), 2, "extranet probe: URL: the build serves the site under "
     "/extranet/ (the path of its site_url), not /extranet/releases/: give the site's address, e.g. "
     "http://127.0.0.1:9/extranet/\n"),
    ("http://127.0.0.1:9/extranet/", ("--workers", "0"), 2, "extranet probe: --workers must be at least 1\n"),
]


@pytest.mark.parametrize(("address", "options", "exit_status", "message"), USAGE,
                         ids=[f"{case[0]} {' '.join(case[1])}".strip() for case in USAGE])
def test_usage_errors_say_what_is_wrong_and_never_print_a_password(site: Site, address: str, options: tuple[str, ...],
                                                                   exit_status: int, message: str, capsys):
    assert probe(site, address, DEMO_CREDENTIALS, capsys, *options) == (exit_status, "", message)


def test_argparse_refuses_a_probe_without_credentials(capsys):
    with pytest.raises(SystemExit) as exited:
        cli.main(["probe", "https://www.anneca.cz/extranet/"])
    assert exited.value.code == 2
    assert capsys.readouterr().err.endswith(
        "extranet probe: error: the following arguments are required: --credentials\n")


def test_a_url_without_its_final_slash_is_the_site(site: Site, capsys):
    """`…/extranet` is the site's address too (every server redirects it to `…/extranet/`): nothing
    listens on the port, so the probe gets as far as asking."""
    port = free_port()
    status, out, err = probe(site, f"http://127.0.0.1:{port}/extranet", DEMO_CREDENTIALS, capsys)
    assert (status, out) == (1, "")
    assert err.startswith(f"extranet probe: cannot reach http://127.0.0.1:{port}/extranet/: ConnectionRefusedError")


def test_no_build_and_no_credentials_file(site: Site, tmp_path: Path, capsys):
    assert probe(site, "http://127.0.0.1:9/extranet/", DEMO_CREDENTIALS, capsys, output=tmp_path) == (
        1, "", f"extranet probe: {tmp_path} holds no build (no server/access.json); run `extranet build`\n")
    assert probe(site, "http://127.0.0.1:9/extranet/", tmp_path / "missing.yaml", capsys) == (
        2, "", f"extranet probe: --credentials {tmp_path / 'missing.yaml'}: no such file\n")


SHAPE = "expected a list of {login, password, customer} (customer: null for staff)"
BAD_CREDENTIALS = [
    # (file's text, line, message): never a quotation of the file, whose lines may hold passwords
    ("login: a\n", 1, SHAPE),
    ("- {login: a, password: s3cr3t-value, customer: null}\n- just-a-word\n", 2, SHAPE),
    ("- {login: a, password: s3cr3t-value}\n", 1, f"no customer: {SHAPE}"),
    ("- login: a\n  pasword: s3cr3t-value\n  customer: null\n", 1, f"unknown key 'pasword': {SHAPE}"),
    ("- login: a\n  password: 123456\n  customer: null\n", 2, "a: password: expected a string (quote it)"),
    ("- login: ''\n  password: s3cr3t-value\n  customer: null\n", 1, "login: expected a login name (a string)"),
    ("- {login: a, password: s3cr3t-value, customer: [x]}\n", 1,
     "a: customer: expected a customer's id, or null for staff"),
    ("- {login: a, password: s3cr3t-value, customer: null}\n- {login: a, password: other, customer: x}\n", 2,
     "login 'a' is listed twice"),
    ("- {login: a, password: \"s3cr3t-value, customer: null}\n", 2,
     "not valid YAML: found unexpected end of stream"),
    ("- login: a\n  password: s3cr3t-value: x\n", 2, "not valid YAML: mapping values are not allowed here"),
]


@pytest.mark.parametrize(("text", "line", "message"), BAD_CREDENTIALS, ids=[case[2][:40] for case in BAD_CREDENTIALS])
def test_a_bad_credentials_file_is_named_by_line(site: Site, text: str, line: int, message: str, tmp_path: Path,
                                                 capsys):
    path = tmp_path / "credentials.yaml"
    path.write_text(text, encoding="utf-8")
    assert probe(site, "http://127.0.0.1:9/extranet/", path, capsys) == (
        1, "", f"extranet probe: {path}:{line}: {message}\n")


# --- several hosts behind a load balancer (README, "Scale") ----------------------------------------

@pytest.mark.parametrize("name", servers.SERVERS)
def test_a_session_from_one_host_opens_pages_on_another_with_the_same_secret(
        site: Site, running: dict[str, Server], name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The session is stateless: a second host serving the same build with the same session secret
    accepts the cookie the first one set, so a load balancer may send each request anywhere. With
    another secret, nginx's and Apache's signed cookie opens nothing (Caddy's cookie carries the
    credentials themselves: any host with the same accounts accepts it)."""
    from . import servers as test_servers

    first = running[name]
    visitor = next(v for v in test_servers.visitors() if v.customer == "elbe-precision")
    basic = {"Authorization": "Basic " + base64.b64encode(f"{visitor.login}:{visitor.password}".encode()).decode()}
    status, headers, _ = first.request("/login/", {**basic, "X-Requested-With": "extranet-login"}, source="127.0.0.151")
    cookie = {"Cookie": test_servers.session_cookie(headers)}
    assert status == 302 and cookie["Cookie"], "the login set no cookie"
    page = "/en/customers/elbe-precision/"
    assert first.request(page, cookie)[0] == 200
    (tmp_path / "same").mkdir()
    second = test_servers.start(name, site, tmp_path / "same")
    try:
        assert second.request(page)[0] != 200
        assert second.request(page, cookie)[0] == 200
    finally:
        test_servers.stop(second)
    if name == "caddy":
        return
    monkeypatch.setattr(test_servers, "SECRET", "another-session-secret-" + "z" * 40)
    (tmp_path / "other").mkdir()
    other = test_servers.start(name, site, tmp_path / "other")
    try:
        status, headers, _ = other.request(page, cookie)
        assert status in (302, 401, 403) and status != 200, status
    finally:
        test_servers.stop(other)


# --- how answers are read, against a stub site (no server program needed) --------------------------

OUTCOMES = [
    # (status, Location, what the probe makes of it)
    (200, None, "allowed"),
    (401, None, "denied (401)"),
    (403, None, "denied (403)"),
    (302, "/extranet/login/?next=%2Fextranet%2Freleases%2F", "denied (302 to login/)"),
    (302, "https://www.anneca.cz/extranet/en/login/?next=x", "denied (302 to login/)"),
    (302, "/extranet/en/customers/elbe-precision/", "unexpected 302 to /extranet/en/customers/elbe-precision/"),
    (301, "/extranet/releases/", "unexpected 301 to /extranet/releases/"),
    (302, "/extranet/login/x", "unexpected 302 to /extranet/login/x"),
    (404, None, "unexpected 404"),
    (429, None, "unexpected 429"),
    (500, None, "unexpected 500"),
]


@pytest.mark.parametrize(("status", "location", "meaning"), OUTCOMES, ids=[f"{c[0]} {c[1]}" for c in OUTCOMES])
def test_what_an_answer_means(status: int, location: str | None, meaning: str):
    assert probe_module.outcome(status, location) == meaning


class Stub(http.server.BaseHTTPRequestHandler):
    """A site under /site/: the login answers 429 once, then sets a cookie (and deletes another);
    private/ needs the cookie; broken.html fails. It records what it was sent."""

    protocol_version = "HTTP/1.1"  # keeps connections open, as real servers do
    seen: list[tuple[str, str | None, str | None]] = []
    peers: set[str] = set()
    limited = [True]

    def do_GET(self) -> None:  # noqa: N802
        Stub.seen.append((self.path, self.headers.get("Cookie"), self.headers.get("Authorization")))
        Stub.peers.add(self.client_address[0])
        headers: list[tuple[str, str]] = []
        if self.path == "/site/login/":
            if Stub.limited[0]:
                Stub.limited[0] = False
                status, headers = 429, [("Retry-After", "1")]
            else:
                status = 302
                headers = [("Location", "/site/private/"), ("Set-Cookie", "s=abc; Path=/site/; HttpOnly"),
                           ("Set-Cookie", "old=; Path=/site/; Max-Age=0")]
        elif self.path in ("/site/", "/site/index.html"):
            status = 200
        elif self.path == "/site/private/index.html":
            status, headers = (200, []) if self.headers.get("Cookie") == "s=abc" else (
                302, [("Location", "/site/login/?next=%2Fsite%2Fprivate%2F")])
        else:
            status = 500
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: object) -> None:
        pass


def test_a_login_waits_out_429_keeps_its_cookies_and_unexpected_answers_are_mismatches(own_address: str):
    Stub.seen.clear()
    Stub.peers.clear()
    Stub.limited[0] = True
    stub = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Stub)
    thread = threading.Thread(target=stub.serve_forever, daemon=True)
    thread.start()
    notes: list[str] = []
    try:
        address = probe_module.site_address(f"http://127.0.0.1:{stub.server_address[1]}/site/", "/site/")
        result = probe_module.run(
            address, [probe_module.Account("u.one", "pass-word-1", "c")],
            {"u.one": access.Principal("u.one", "U", "h", "c")}, [access.Area("", access.PUBLIC)],
            ["private/index.html", "index.html", "broken.html"], workers=2, note=notes.append)
    finally:
        stub.shutdown()
        stub.server_close()
    assert Stub.peers == {own_address}
    assert notes == ["u.one: the login is answered 429 (login limit); trying again in 1 s"]
    assert [str(m) for m in result.mismatches] == ["anonymous broken.html: expected denied, got unexpected 500",
                                                   "u.one broken.html: expected allowed, got unexpected 500"]
    assert result.summary() == "probe: 6 cells, 2 mismatches (2 visitors x 3 files)"
    logins = [(cookie, auth) for path, cookie, auth in Stub.seen if path == "/site/login/"]
    assert len(logins) == 2 and all(auth == "Basic " + base64.b64encode(b"u.one:pass-word-1").decode()
                                    for _, auth in logins)
    pages = {(path, cookie, auth) for path, cookie, auth in Stub.seen if path != "/site/login/" and path != "/site/"}
    assert pages == {(f"/site/{path}", cookie, None) for path in ("private/index.html", "index.html", "broken.html")
                     for cookie in (None, "s=abc")}


@pytest.mark.parametrize("name", servers.SERVERS)
def test_the_probe_at_the_root(root_site: Site, running_root: dict[str, Server], name: str, tmp_path: Path, capsys):
    """A site served at `/`: a staff login, a customer's user and the removed user (three logins, so
    nginx's login limit is not what this waits for)."""
    credentials = credentials_file(tmp_path, entry("anneca.benes"), entry("elbe.stastna"), entry(REMOVED))
    server = running_root[name]
    assert server.base == "/"
    status, out, err = probe(root_site, f"http://127.0.0.1:{server.port}/", credentials, capsys)
    assert (status, out) == (0, summary(4, len(root_site.files()), 0)), err
    status, out, _ = probe(root_site, f"http://127.0.0.1:{server.port}/extranet/", credentials, capsys)
    assert status == 2 and out == ""
