"""Shared fixtures: a small purpose-built project (for exact messages) and the built demo extranet.

It also marks each test by the outside programs it needs (the markers are registered in
pyproject.toml), so that `pytest -m "not servers and not browser and not s3 and not fail2ban and not
node and not shellcheck"` runs on a machine with only Python; and it fails a run in which any test
skips, so `make test` and CI run everything or say why not.

A test is marked by the fixtures it uses (FIXTURE_MARKERS: pytest resolves the whole fixture
closure, so a fixture built on `running` marks its users too), or explicitly with
`@pytest.mark.<marker>` / `pytestmark` where it runs a program itself. Marking by fixture was chosen
over a list of test files: a new test of the access matrix is marked without anyone remembering, and
a file that mixes pure tests with server tests keeps its pure ones in the portable selection.
`tests/without_programs.sh` proves the selection on this machine by hiding the programs.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
NOW = "2026-11-23T12:00:00+01:00"
NOW_DT = dt.datetime.fromisoformat(NOW)
DOWNLOAD_SECRET = "test-download-secret-" + "y" * 40
"""Signs the local backend's download links in every build of the tests (and the test servers check it)."""
os.environ["EXTRANET_DOWNLOAD_SECRET"] = DOWNLOAD_SECRET
HASH = "$2b$10$" + "a" * 53
"""A well-formed bcrypt hash; the small project never logs in."""

MKDOCS_YML = """\
site_name: Test extranet
docs_dir: content
site_dir: build/site
strict: true
theme:
  name: material
plugins:
  - search
  - extranet:
      storage:
        root: storage
markdown_extensions: [attr_list, md_in_html, tables, admonition]
"""

RELEASE = """\
version: "{version}"
date: {date}
kind: {kind}
title: {{cs: Verze {version}, en: Release {version}}}
highlights:
  - {{cs: Novinka, en: News}}
{notes}artifacts:
  - id: core-linux
    module: core
    platform: linux
    file: app-{version}.tar.gz
    size: {size}
    sha256: {sha}
  - id: extra-linux
    module: extra
    platform: linux
    file: extra-{version}.tar.gz
    size: {size}
    sha256: {sha}
"""

CUSTOMERS = f"""\
vendor:
  name: Vendor s.r.o.
  company_id: "00177041"
  address: Street 1, Town
  website: https://vendor.example
  product: Product
  modules:
    - {{id: core, name: {{cs: Jádro, en: Core}}}}
    - {{id: extra, name: {{cs: Doplněk, en: Extra}}}}
  platforms:
    - {{id: linux, name: Linux}}
    - {{id: windows, name: Windows}}
  editions:
    - {{id: standard, name: Standard, modules: [core]}}
  staff:
    - {{login: staff.one, name: Staff One, email: staff@vendor.example, password_hash: "{HASH}"}}
plans:
  - id: basic
    name: {{cs: Podpora, en: Support}}
    description: {{cs: Popis, en: Description}}
    languages: [cs]
    calendar: {{country: CZ, timezone: Europe/Prague, opens: "08:00", closes: "16:00"}}
    channels:
      - {{id: phone, kind: phone, address: "+420 100 200 300", hours: business_hours}}
      - {{id: email, kind: email, address: help@vendor.example, hours: always}}
    severities:
      - id: common
        name: {{cs: Běžné, en: Common}}
        description: {{cs: Dotazy, en: Questions}}
        action: {{cs: Odpověď, en: Answer}}
        response: {{deadline: next_business_day}}
        channels: {{phone: {{deadline: immediate}}}}
    excludes:
      - {{cs: Instalace, en: Installation}}
    identification: {{customer: [company_id, company_name]}}
    cadence: {{major_at_least: 2, minor_about: 6}}
customers:
  - id: alpha
    name: Alpha a.s.
    company_id: "27074358"
    plan: basic
    edition: standard
    modules: [extra]
    platforms: [linux]
    support_from: 2020-01-01
    support_until: 2030-12-31
    installed_version: "1.0.0"
    language: cs
    users:
      - {{login: alpha.one, name: Alice Alpha, email: alice@alpha.example, password_hash: "{HASH}"}}
  - id: beta
    name: Beta s.r.o.
    company_id: "25596641"
    plan: basic
    edition: standard
    platforms: [linux]
    support_from: 2020-01-01
    support_until: 2025-06-30
    installed_version: "1.0.0"
    language: en
    users:
      - {{login: beta.one, name: Bob Beta, email: bob@beta.example, password_hash: "{HASH}"}}
"""

RELEASES = (("1.0.0", "2025-01-10", "major"), ("1.1.0", "2025-05-05", "minor"), ("2.0.0", "2025-09-01", "major"))


class Project:
    """A small, valid extranet in a temporary directory; tests break it one line at a time."""

    def __init__(self, root: Path):
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        (root / "mkdocs.yml").write_text(MKDOCS_YML)
        shutil.copytree(REPO / "site_templates", root / "site_templates")
        (root / "customers.yaml").write_text(CUSTOMERS)
        for version, date, kind in RELEASES:
            payload = f"artifact {version}\n".encode()
            notes = f"upgrade_notes:\n  - {{cs: Krok {version}, en: Step {version}}}\n" if kind == "major" else ""
            text = RELEASE.format(version=version, date=date, kind=kind, size=len(payload),
                                  sha=hashlib.sha256(payload).hexdigest(), notes=notes)
            self.write(f"releases/{version}.yaml", text)
            for name in (f"app-{version}.tar.gz", f"extra-{version}.tar.gz"):
                self.write_bytes(f"storage/{version}/{name}", payload)
        for lang, title in (("cs", "Instalace"), ("en", "Installation")):
            self.write(f"content/{lang}/guides/install.md", f"# {title}\n")
            self.write(f"content/{lang}/upgrade/2.0.0.md", f"# 2.0.0\n\n{title} 2.0.0\n")

    def write(self, path: str, text: str) -> Path:
        target = self.root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        return target

    def write_bytes(self, path: str, data: bytes) -> None:
        target = self.root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)

    def replace(self, path: str, old: str, new: str) -> None:
        target = self.root / path
        text = target.read_text(encoding="utf-8")
        assert old in text, f"{old!r} not in {path}"
        target.write_text(text.replace(old, new, 1), encoding="utf-8")

    @property
    def config(self) -> Path:
        return self.root / "mkdocs.yml"


FIXTURE_MARKERS = {
    # conftest.py
    "running": "servers", "running_root": "servers", "served": "servers",
    "edge": "node", "edge_root": "node",
    "moto_endpoint": "s3", "s3rver_endpoint": "s3",
    # test_browser.py (imported by the other browser tests)
    "browser": "browser",
    # module fixtures that start a server themselves: test_caddy.py, test_downloads.py, test_xss.py
    "caddy": "servers", "expired": "servers", "server": "servers",
}
"""A fixture -> the marker of the outside program it starts; every test using it gets the marker."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        needs = {FIXTURE_MARKERS[name] for name in getattr(item, "fixturenames", ()) if name in FIXTURE_MARKERS}
        for marker in sorted(needs):
            item.add_marker(marker)


SKIP_FAILS = ("this suite skips nothing (make test and CI run everything): a missing program or "
              "package is a failure; to leave tests out on purpose, deselect them with -m or -k. ")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """A skipped test fails the run instead (an expected failure, xfail, stays what it is)."""
    outcome = yield
    report = outcome.get_result()
    if report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = SKIP_FAILS + reason


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector: pytest.Collector):
    """A module that skips itself while being collected (`pytest.importorskip`, `allow_module_level`) fails too."""
    outcome = yield
    report = outcome.get_result()
    if report.skipped:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = SKIP_FAILS + reason


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return Project(tmp_path / "project")


@pytest.fixture(scope="session")
def demo_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The repository's own demo, built once at a fixed instant; returns the web root."""
    from extranet.building import build

    output = tmp_path_factory.mktemp("demo") / "build"
    build(REPO / "mkdocs.yml", now=NOW_DT, output=output)
    return output / "site"


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory):
    """The demo with one user removed and one customer revoked, built once for the server tests."""
    from .servers import build_variant

    return build_variant(tmp_path_factory.mktemp("access"))


@pytest.fixture(scope="session")
def root_site(tmp_path_factory: pytest.TempPathFactory):
    """The same variant with a site_url without a path: served at `/` (the demo is under `/extranet/`)."""
    from .servers import build_variant

    return build_variant(tmp_path_factory.mktemp("access-root"), site_url="https://extranet.example.cz/")


def _running(site, tmp_path_factory: pytest.TempPathFactory, label: str):
    from extranet import servers

    from .servers import start, stop

    started = {}
    try:
        for name in servers.SERVERS:
            started[name] = start(name, site, tmp_path_factory.mktemp(f"{name}{label}"))
        yield started
    finally:
        for server in started.values():
            stop(server)


@pytest.fixture(scope="session")
def running(site, tmp_path_factory: pytest.TempPathFactory):
    """Each real server started once for the whole run, on a free loopback port, serving `site`
    under its path (`/extranet/`)."""
    yield from _running(site, tmp_path_factory, "")


@pytest.fixture(scope="session")
def running_root(root_site, tmp_path_factory: pytest.TempPathFactory):
    """Each real server serving `root_site` at `/`."""
    yield from _running(root_site, tmp_path_factory, "-root")


def _edge(site, tmp_path_factory: pytest.TempPathFactory, label: str):
    from .edge import start
    from .servers import stop

    server = start(site, tmp_path_factory.mktemp(f"cloudfront{label}"))
    try:
        yield server
    finally:
        stop(server)


@pytest.fixture(scope="session")
def edge(site, tmp_path_factory: pytest.TempPathFactory):
    """The CloudFront target of `site` (under `/extranet/`), emulated on loopback (tests/edge.py): the
    built template, function, KeyValueStore data and login function, started once for the whole run."""
    yield from _edge(site, tmp_path_factory, "")


@pytest.fixture(scope="session")
def edge_root(root_site, tmp_path_factory: pytest.TempPathFactory):
    """The CloudFront target of `root_site`, served at `/`."""
    yield from _edge(root_site, tmp_path_factory, "-root")


@pytest.fixture(params=["/extranet/", "/"], ids=["sub-path", "root"])
def served(request: pytest.FixtureRequest):
    """(site, running servers) under a sub-path and at the root: tests taking it run for both."""
    if request.param == "/":
        return request.getfixturevalue("root_site"), request.getfixturevalue("running_root")
    return request.getfixturevalue("site"), request.getfixturevalue("running")


@pytest.fixture(scope="session")
def moto_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """moto in server mode, started once; its URL. It checks neither signatures nor expiry."""
    from .endpoints import moto

    with moto(tmp_path_factory.mktemp("moto") / "moto.log") as url:
        yield url


@pytest.fixture(scope="session")
def s3rver_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """s3rver (npm) started once, with the bucket `endpoints.S3RVER_BUCKET`; its URL. It refuses an
    expired presigned URL but does not verify V4 signatures. Missing, it fails the test: never skips."""
    from .endpoints import s3rver

    directory = tmp_path_factory.mktemp("s3rver")
    with s3rver(directory / "data", directory / "s3rver.log") as url:
        yield url


@pytest.fixture
def aws_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """Throwaway AWS credentials in the environment, for boto3 against the test endpoints."""
    from .endpoints import CREDENTIALS

    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name, value)
