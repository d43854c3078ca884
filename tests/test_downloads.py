"""Downloads with the local backend, through the real servers: signed links that open one file, for a while.

nginx checks the links with its `secure_link` module and Apache with the same check in mod_lua; both
are started once per run (`running`), on the demo built at the current hour, so its links are valid
now. Caddy has no such check: it refuses downloads/ altogether. An expired link comes from a build
with `--now` in the past, served by a server of its own.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import html
import re
import subprocess
import sys
from zoneinfo import ZoneInfo

import pytest
import yaml

from extranet.building import validate
from extranet.storage import LocalStorage

from .conftest import DOWNLOAD_SECRET, REPO, Project
from .servers import CREDENTIALS, Server, Site, Visitor, load_site, start, stop

LINK = re.compile(r'href="(?:\.\./)*(downloads/[^"?]+\?[^"]+)"')
VERIFYING = ("nginx", "apache")
CS_MONTHS = ("ledna", "února", "března", "dubna", "května", "června", "července", "srpna", "září", "října",
             "listopadu", "prosince")


def manifest() -> dict[str, dict]:
    """Every artifact of the demo by `<version>/<file>`, as its manifest describes it."""
    artifacts = {}
    for path in (REPO / "releases").glob("*.yaml"):
        release = yaml.safe_load(path.read_text(encoding="utf-8"))
        for artifact in release["artifacts"]:
            artifacts[f"{release['version']}/{artifact['file']}"] = artifact
    return artifacts


_addresses = itertools.count(1)


def user_of(customer: str) -> Visitor:
    """A user of `customer`, logging in from a loopback address of its own (nginx limits logins per address)."""
    entry = next(c for c in CREDENTIALS if c["customer"] == customer)
    return Visitor(customer, entry["login"], entry["password"], customer, address=f"127.0.9.{next(_addresses)}")


def page_links(server: Server, customer: str, language_prefix: str = "") -> list[str]:
    """The download links a logged-in user of `customer` finds on the customer's own page."""
    user = user_of(customer)
    headers = server.credentials(user)
    status, _, body = server.request(f"/{language_prefix}customers/{customer}/", headers, source=user.address)
    assert status == 200
    return [html.unescape(link) for link in LINK.findall(body.decode())]


@pytest.mark.parametrize("name", VERIFYING)
def test_an_entitled_users_links_return_the_exact_bytes(site: Site, running: dict[str, Server], name: str):
    server, artifacts = running[name], manifest()
    links = page_links(running[name], "severoceska-logistika", "en/")
    assert len(links) >= 4, links
    assert any("excel" in link for link in links), "the customer's extra module is among its downloads"
    for link in links:
        key = link.split("?")[0].removeprefix("downloads/")
        status, headers, body = server.request("/" + link)  # no session: as `curl` on the page's line
        assert status == 200, (link, status)
        assert len(body) == artifacts[key]["size"]
        assert hashlib.sha256(body).hexdigest() == artifacts[key]["sha256"], link
        assert headers["content-disposition"] == "attachment"
        assert headers["cache-control"] == "private, no-store"


@pytest.mark.parametrize("name", VERIFYING)
def test_a_changed_or_moved_link_is_refused(site: Site, running: dict[str, Server], name: str):
    server = running[name]
    link = page_links(server, "strojirny-labe")[0]
    path, query = link.split("?")
    signature = re.search(r"md5=([^&]+)", query).group(1)
    expires = re.search(r"expires=(\d+)", query).group(1)
    flipped = signature[:5] + ("A" if signature[5] != "A" else "B") + signature[6:]
    other = next(p for p in manifest() if p != path.removeprefix("downloads/"))
    attempts = {
        "one character of the signature changed": f"/{path}?md5={flipped}&expires={expires}",
        "the expiry moved a second later": f"/{path}?md5={signature}&expires={int(expires) + 1}",
        "the signature reused for another file": f"/downloads/{other}?md5={signature}&expires={expires}",
        "no signature": f"/{path}",
        "no expiry": f"/{path}?md5={signature}",
    }
    refused = {what: server.request(url)[0] for what, url in attempts.items()}
    assert refused == dict.fromkeys(attempts, 403)
    assert server.request("/" + link)[0] == 200, "the unchanged link still works"


def test_caddy_serves_no_downloads(site: Site, running: dict[str, Server]):
    """Caddy cannot check the signature, so it serves none: the README says to use nginx or Apache."""
    link = page_links(running["nginx"], "strojirny-labe")[0]
    caddy = running["caddy"]
    basic = caddy.credentials(user_of("strojirny-labe"))  # Basic on every request: no login to limit
    assert caddy.request("/" + link)[0] == 404
    assert caddy.request("/" + link, basic)[0] == 404


def test_links_on_the_page_are_the_ones_the_backend_signs(site: Site):
    """What the page shows: the link, its expiry, a curl line with the absolute URL and the sha256.
    The link is signed for the path the server sees: under the demo's site_url, `/extranet/downloads/…`."""
    page = (site.web_root / "customers/strojirny-labe/index.html").read_text(encoding="utf-8")
    assert site.base == "/extranet/"
    storage = LocalStorage(site.root / "releases/artifacts", 3 * 24 * 3600, DOWNLOAD_SECRET, base=site.base)
    extranet = validate(site.root / "mkdocs.yml")
    release = next(r for r in extranet.releases if r.version == "9.3.0")
    artifact = next(a for a in release.artifacts if a.id == "core-windows")
    link = storage.link(release, artifact, site.now)
    assert f'href="../../{html.escape(link.url)}"' in page
    # The command lines as the reader sees and copies them (whichever character references the page uses).
    text = html.unescape(page)
    assert f"curl -fL -o {artifact.file} 'https://www.anneca.cz/extranet/{link.url}'\n" in text
    assert f"echo '{artifact.sha256}  {artifact.file}' | sha256sum -c" in text
    assert f'data-clipboard-text="{artifact.sha256}"' in page
    local = link.expires.astimezone(ZoneInfo("Europe/Prague"))
    assert (f"Odkazy ke stažení platí do {local.day}. {CS_MONTHS[local.month - 1]} {local.year}, {local:%H:%M} "
            f"pražského času.") in page
    assert link.expires == site.now + dt.timedelta(days=3)


@pytest.fixture(scope="module")
def expired(tmp_path_factory: pytest.TempPathFactory):
    """A small project built with --now ten days ago (links live 3 days), served by nginx and Apache."""
    project = Project(tmp_path_factory.mktemp("expired") / "project")
    past = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=10)).replace(microsecond=0)
    result = subprocess.run([sys.executable, "-m", "extranet.cli", "-f", str(project.config), "build",
                             "--now", past.isoformat()], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    site = load_site(project.root, project.root / "build", past)
    started = {}
    try:
        for name in VERIFYING:
            started[name] = start(name, site, tmp_path_factory.mktemp(f"expired-{name}"), project.root / "storage")
        yield project, started
    finally:
        for server in started.values():
            stop(server)


@pytest.mark.parametrize("name", VERIFYING)
def test_an_expired_link_is_refused(expired, name: str):
    project, started = expired
    page = (project.root / "build/site/customers/alpha/index.html").read_text(encoding="utf-8")
    links = [html.unescape(link) for link in LINK.findall(page)]
    assert links
    for link in links:
        assert started[name].request("/" + link)[0] == 410, link
    # The same file with a link signed now opens: it is the expiry that refuses, not the path.
    fresh = re.sub(r"\?.*", "", links[0])
    release, file = fresh.removeprefix("downloads/").split("/")
    storage = LocalStorage(project.root / "storage", 3600, DOWNLOAD_SECRET)
    extranet = validate(project.config)
    r = next(r for r in extranet.releases if r.version == release)
    a = next(a for a in r.artifacts if a.file == file)
    assert started[name].request("/" + storage.link(r, a, dt.datetime.now(dt.timezone.utc)).url)[0] == 200


def test_without_a_secret_in_the_environment_a_build_keeps_one_of_its_own(project, tmp_path, monkeypatch):
    """`make site` on a fresh machine: a secret is made once, private, and reused, so builds repeat."""
    monkeypatch.delenv("EXTRANET_DOWNLOAD_SECRET")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    first = _build(project, tmp_path / "one")
    secret = tmp_path / "config/extranet/download-secret"
    assert secret.stat().st_mode & 0o777 == 0o600
    assert len(secret.read_text().strip()) >= 48
    second = _build(project, tmp_path / "two")
    assert first == second
    assert "md5=" in first and secret.read_text().strip() not in first


MAKE = "make one with: python3 -c 'import secrets; print(secrets.token_urlsafe(48))'"


@pytest.mark.parametrize("command", ["build", "serve"])
@pytest.mark.parametrize("where, value", [("environment", "short"), ("environment", "x" * 31), ("file", ""),
                                          ("file", "\n"), ("file", "y" * 31 + "\n")])
def test_a_short_or_empty_secret_is_refused_with_how_to_make_one(project, tmp_path, monkeypatch, capsys,
                                                                  command, where, value):
    """An empty secret made nginx accept a forged link to any file; build and serve refuse it."""
    from extranet.cli import main

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    if where == "environment":
        monkeypatch.setenv("EXTRANET_DOWNLOAD_SECRET", value)
        expected = f"$EXTRANET_DOWNLOAD_SECRET must hold at least 32 characters (it holds {len(value)}); {MAKE}"
    else:
        monkeypatch.delenv("EXTRANET_DOWNLOAD_SECRET")
        path = tmp_path / "config/extranet/download-secret"
        path.parent.mkdir(parents=True)
        path.write_text(value)
        expected = f"{path} must hold at least 32 characters (it holds {len(value.strip())}); {MAKE} > {path}"
    argv = ["build", "--output", str(project.root / "out")] if command == "build" else ["serve"]
    assert main(["-f", str(project.config), *argv]) == 1
    prefix = "build failed" if command == "build" else "extranet serve"
    assert capsys.readouterr().err.splitlines() == [f"{prefix}: mkdocs.yml: {expected}"]
    assert not (project.root / "out").exists()


def test_the_nginx_secret_file_refuses_a_short_secret(tmp_path):
    from extranet import servers

    with pytest.raises(ValueError) as caught:
        servers._secret_file(tmp_path / "s.conf", "extranet_secret", "x" * 31)
    assert str(caught.value) == f"$extranet_secret: the secret must hold at least 32 characters (it holds 31); {MAKE}"
    assert not (tmp_path / "s.conf").exists()


def _build(project: Project, output) -> str:
    from extranet.building import build

    build(project.config, now=dt.datetime(2026, 11, 23, 12, tzinfo=dt.timezone.utc), output=output)
    return (output / "site/customers/alpha/index.html").read_text(encoding="utf-8")


@pytest.mark.parametrize("content, length", [('map "" $extranet_secret { default ""; }\n', 0),
                                             ('map "" $extranet_secret { default "short"; }\n', 5),
                                             ("garbage\n", 0)])
def test_a_hosts_weak_nginx_secret_file_is_refused(tmp_path, content, length):
    """The host's /etc/extranet/nginx-*.conf: `extranet deploy --server nginx` checks it before switching."""
    from extranet import servers

    path = tmp_path / "nginx-session.conf"
    path.write_text(content)
    assert servers.weak_secret_file(path) == (
        f"{path}: the secret must hold at least 32 characters (it holds {length}); {MAKE}")
    path.write_text('map "" $extranet_secret { default "' + "k" * 32 + '"; }\n')
    assert servers.weak_secret_file(path) is None
    assert servers.weak_secret_file(tmp_path / "missing.conf") is None
