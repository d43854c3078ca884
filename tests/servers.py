"""Real web servers for tests: the demo built once, each server started once on loopback.

A server that is not installed fails the tests that need it, loudly; it is never skipped.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import http.client
import json
import shutil
import socket
import subprocess
import time
from pathlib import Path

import yaml

from extranet import access, servers
from extranet.building import build, validate

from .conftest import DOWNLOAD_SECRET, REPO

REMOVED = "labe.prochazka"
"""A demo user removed from customers.yaml before the build: their password must open nothing."""
REVOKED = "teplo-servis"
"""A demo customer whose access is revoked before the build."""
CREDENTIALS = yaml.safe_load((REPO / "tests/fixtures/demo-credentials.yaml").read_text(encoding="utf-8"))
SECRET = "test-session-secret-" + "x" * 40


@dataclasses.dataclass(frozen=True)
class Visitor:
    """Someone knocking: a login and password, or nobody (anonymous)."""

    name: str
    login: str | None = None
    password: str | None = None
    customer: str | None = None
    staff: bool = False
    address: str = "127.0.0.1"
    """The loopback address the visitor connects from: servers limit logins per client address."""

    def principal(self, known: dict[str, access.Principal]) -> access.Principal | None:
        """Who the server should take this visitor for; None for anyone it must not let in."""
        if self.login is None or self.password is None:
            return None
        principal = known.get(self.login)
        password_ok = any(c["login"] == self.login and c["password"] == self.password for c in CREDENTIALS)
        return principal if principal is not None and password_ok else None


def visitors() -> list[Visitor]:
    people = [Visitor("anonymous")]
    seen: set[object] = set()
    for entry in CREDENTIALS:
        key = entry["customer"] or "staff"
        if key in seen or entry["login"] == REMOVED:
            continue
        seen.add(key)
        people.append(Visitor(f"user of {key}", entry["login"], entry["password"], entry["customer"], entry["customer"] is None))
    someone = next(entry for entry in CREDENTIALS if entry["customer"] == "pekarny-podripsko")
    people.append(Visitor("wrong password", someone["login"], someone["password"] + "x", someone["customer"]))
    removed = next(entry for entry in CREDENTIALS if entry["login"] == REMOVED)
    people.append(Visitor("removed user", removed["login"], removed["password"], removed["customer"]))
    return [dataclasses.replace(person, address=f"127.0.0.{10 + index}") for index, person in enumerate(people)]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclasses.dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen
    runtime: Path
    base: str = "/"
    """The path the site is served under (from its site_url): `/` or e.g. `/extranet/`."""

    def request(self, path: str, headers: dict[str, str] | None = None, method: str = "GET",
                source: str = "127.0.0.1", raw: bool = False) -> tuple[int, dict[str, str], bytes]:
        """`path` is site-relative (`/releases/` is `<base>releases/`) unless `raw`: then it is sent as is."""
        if not raw and path.startswith("/"):
            path = self.base + path[1:]
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10, source_address=(source, 0))
        try:
            connection.request(method, path, headers=headers or {})
            response = connection.getresponse()
            headers: dict[str, str] = {}
            for name, value in response.getheaders():  # several Set-Cookie headers: one per line
                name = name.lower()
                headers[name] = f"{headers[name]}\n{value}" if name in headers else value
            return response.status, headers, response.read()
        finally:
            connection.close()

    def credentials(self, visitor: Visitor) -> dict[str, str]:
        """Request headers that present this visitor: a session cookie (nginx, Apache, the CloudFront edge)
        or Basic auth."""
        if visitor.login is None:
            return {}
        basic = {"Authorization": "Basic " + base64.b64encode(f"{visitor.login}:{visitor.password}".encode()).decode()}
        if self.name not in ("nginx", "apache", "cloudfront"):
            return basic
        status, headers, _ = self.request("/login/", basic, source=visitor.address)
        cookie = session_cookie(headers)
        return {"Cookie": cookie} if status == 302 and cookie else {}


def session_cookie(headers: dict[str, str]) -> str:
    """The Cookie header a browser would send back after this response's Set-Cookie headers."""
    return "; ".join(line.split(";", 1)[0] for line in headers.get("set-cookie", "").splitlines() if line)


@dataclasses.dataclass
class Site:
    root: Path
    """The project the site was built from (the demo, one user removed, one customer revoked)."""
    output: Path
    areas: tuple[access.Area, ...]
    principals: dict[str, access.Principal]
    now: dt.datetime
    """The instant it was built at: the current hour, so that its download links are valid now."""
    base: str = "/"
    """The path it is served under: the path of its site_url."""

    @property
    def web_root(self) -> Path:
        return self.output / "site"

    def files(self) -> list[str]:
        return sorted(path.relative_to(self.web_root).as_posix() for path in self.web_root.rglob("*") if path.is_file())


HAND_PLACED = {
    "customers/elbe-precision/contract.md": "# Contract notes\n\nThe quokkaferret terms of our contract.\n",
    "customers/elbe-precision/internal.md": "---\naudience: staff\n---\n# Internal\n\nA narwhalbasil note.\n",
    "staff/handbook.md": "# Handbook\n\nThe wombatfizz rota.\n",
}
"""Pages a maintainer puts into the demo by hand: their place (and front matter) decides who reads them."""
MARKERS = {"quokkaferret": (access.CUSTOMER, "elbe-precision"), "narwhalbasil": (access.STAFF, None),
           "wombatfizz": (access.STAFF, None)}
"""A word only in one hand-placed page -> who alone may read it."""


def build_variant(directory: Path, now: dt.datetime | None = None, site_url: str | None = None) -> Site:
    """The demo with one user removed, one customer revoked and the HAND_PLACED pages, built at `now`
    (default: this hour).

    `site_url` replaces the demo's (served under `/extranet/`), e.g. to serve it at the root."""
    now = now or dt.datetime.now(dt.timezone.utc).replace(minute=0, second=0, microsecond=0)
    root = directory / "project"
    root.mkdir(parents=True)
    for name in ("content", "releases", "site_templates"):
        shutil.copytree(REPO / name, root / name)
    for name in ("mkdocs.yml", "customers.yaml"):
        shutil.copy(REPO / name, root / name)
    text = (root / "customers.yaml").read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if line.strip() == f"- login: {REMOVED}")
    end = start + 1
    while end < len(lines) and lines[end].startswith(" " * (len(lines[start]) - len(lines[start].lstrip()) + 2)):
        end += 1
    text = "".join(lines[:start] + lines[end:])
    text = text.replace(f"  - id: {REVOKED}\n", f"  - id: {REVOKED}\n    access: revoked\n", 1)
    (root / "customers.yaml").write_text(text, encoding="utf-8")
    for language in ("cs", "en"):
        for path, page in HAND_PLACED.items():
            (root / "content" / language / path).parent.mkdir(parents=True, exist_ok=True)
            (root / "content" / language / path).write_text(page, encoding="utf-8")
    if site_url is not None:
        config = (root / "mkdocs.yml").read_text(encoding="utf-8")
        demo = "site_url: https://www.anneca.cz/extranet/\n"
        assert demo in config, "the demo's site_url moved: update build_variant"
        (root / "mkdocs.yml").write_text(config.replace(demo, f"site_url: {site_url}\n"), encoding="utf-8")
    output = directory / "build"
    build(root / "mkdocs.yml", now=now, output=output)
    return load_site(root, output, now)


def load_site(root: Path, output: Path, now: dt.datetime) -> Site:
    """A site built from the project at `root` into `output`, as the server tests see it."""
    described = json.loads((output / "server/access.json").read_text())
    areas = tuple(access.Area(**a) for a in described["areas"])
    extranet = validate(root / "mkdocs.yml")
    return Site(root, output, areas, {p.login: p for p in access.principals(extranet)}, now, described["base"])


def start(name: str, site: Site, runtime: Path, downloads: Path | None = None) -> Server:
    """Start a real server on a free loopback port and wait until it answers.

    It serves the project's artifacts (`releases/artifacts`, or `downloads`) under downloads/."""
    extranet = validate(site.root / "mkdocs.yml")
    port = free_port()
    command = servers.prepare(name, extranet, site.areas, site.root / "site_templates", site.web_root, runtime, port,
                              SECRET, downloads or site.root / "releases/artifacts", DOWNLOAD_SECRET, site.base)
    log = open(runtime / "server.log", "wb")  # noqa: SIM115: lives as long as the server
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT,
                               env=servers.environment(SECRET, DOWNLOAD_SECRET))
    server = Server(name, port, process, runtime, site.base)
    deadline = time.monotonic() + 20
    while True:
        try:
            server.request("/")
            return server
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{name} did not start:\n" + (runtime / "server.log").read_text(errors="replace"))
            time.sleep(0.1)


def stop(server: Server) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.process.kill()
