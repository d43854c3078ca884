"""The helpers that one place each decides: content types, instants, atomic writes, the build's
access record and the environment a build changes."""

from __future__ import annotations

import datetime as dt
import os
import re
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from mkdocs.config.base import ValidationError

from extranet import access_record, cli
from extranet.access import CUSTOMER, PUBLIC, STAFF, Area
from extranet.atomic import write_atomically
from extranet.build_environment import environment_variable
from extranet.building import BuildFailed, build, load_site_config, plugin_config
from extranet.cli import main
from extranet.config import ExtranetConfig, Instant, relative
from extranet.content_types import content_type
from extranet.instants import parse_instant

from .conftest import NOW_DT

# (file name, Content-Type of an artifact in storage, Content-Type of the web root's file on S3)
CONTENT_TYPES = [
    ("index.html", "text/html", "text/html; charset=utf-8"),
    ("assets/stylesheets/main.6f8fc17f.min.css", "text/css", "text/css; charset=utf-8"),
    ("assets/javascripts/bundle.1234abcd.min.js", "text/javascript", "text/javascript; charset=utf-8"),
    ("search/search_index.json", "application/json", "application/json; charset=utf-8"),
    ("sitemap.xml", "text/xml", "text/xml; charset=utf-8"),
    ("sitemap.xml.gz", "application/gzip", "application/gzip"),
    ("assets/images/favicon.png", "image/png", "image/png"),
    ("logo.svg", "image/svg+xml", "image/svg+xml; charset=utf-8"),
    ("en/feed.atom", "application/atom+xml", "application/atom+xml; charset=utf-8"),
    ("support/basic/support-calendar.ics", "text/calendar", "text/calendar; charset=utf-8"),
    ("font.woff2", "font/woff2", "font/woff2"),
    ("bundle.js.map", "application/json", "application/json; charset=utf-8"),
    ("manifest.webmanifest", "application/manifest+json", "application/manifest+json; charset=utf-8"),
    ("app-1.0.0.tar.gz", "application/gzip", "application/gzip"),
    ("app-1.0.0.tgz", "application/gzip", "application/gzip"),
    ("app-1.0.0.tar.xz", "application/x-xz", "application/x-xz"),
    ("app-1.0.0.tar.bz2", "application/x-bzip2", "application/x-bzip2"),
    ("app-1.0.0.zip", "application/zip", "application/zip"),
    ("Setup-1.0.0.MSI", "application/x-msi", "application/x-msi"),
    ("setup.exe", "application/vnd.microsoft.portable-executable", "application/vnd.microsoft.portable-executable"),
    ("app_1.0.0_amd64.deb", "application/vnd.debian.binary-package", "application/vnd.debian.binary-package"),
    ("app-1.0.0.x86_64.rpm", "application/x-rpm", "application/x-rpm"),
    ("App.dmg", "application/x-apple-diskimage", "application/x-apple-diskimage"),
    ("app.jar", "application/java-archive", "application/java-archive"),
    ("app.sha256", "application/octet-stream", "application/octet-stream"),
    ("README", "application/octet-stream", "application/octet-stream"),
]


@pytest.mark.parametrize(("name", "stored", "served"), CONTENT_TYPES)
def test_one_table_gives_every_content_type(name: str, stored: str, served: str) -> None:
    assert (content_type(name), content_type(name, charset="utf-8")) == (stored, served)


INSTANTS = [
    ("2026-11-23T12:00:00+01:00", dt.datetime(2026, 11, 23, 11, 0, tzinfo=dt.timezone.utc)),
    ("2026-11-23T11:00:00Z", dt.datetime(2026, 11, 23, 11, 0, tzinfo=dt.timezone.utc)),
    (dt.datetime(2026, 11, 23, 11, 0, tzinfo=dt.timezone.utc),
     dt.datetime(2026, 11, 23, 11, 0, tzinfo=dt.timezone.utc)),
]
NOT_INSTANTS = [
    ("yesterday", "'yesterday' is not an ISO-8601 instant, e.g. 2026-11-23T12:00:00+01:00"),
    ("2026-11-23T12:00:00", "'2026-11-23T12:00:00' has no UTC offset (add e.g. +01:00 or Z)"),
    ("2026-11-23", "'2026-11-23' has no UTC offset (add e.g. +01:00 or Z)"),
    (dt.datetime(2026, 11, 23, 12), "'2026-11-23 12:00:00' has no UTC offset (add e.g. +01:00 or Z)"),
]


@pytest.mark.parametrize(("value", "instant"), INSTANTS)
def test_an_instant_is_read_the_same_by_the_command_and_the_configuration(value, instant) -> None:
    assert parse_instant(value) == instant
    assert Instant().validate(value) == instant
    if isinstance(value, str):
        assert cli.parser().parse_args(["build", "--now", value]).now == instant


@pytest.mark.parametrize(("value", "message"), NOT_INSTANTS)
def test_a_wrong_instant_gets_one_message_in_the_command_and_the_configuration(value, message, capsys) -> None:
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        parse_instant(value)
    with pytest.raises(ValidationError, match=f"^{re.escape(message)}$"):
        Instant().validate(value)
    if isinstance(value, str):
        with pytest.raises(SystemExit):
            cli.parser().parse_args(["build", "--now", value])
        assert capsys.readouterr().err.endswith(f"argument --now: {message}\n")


def test_the_configuration_names_what_it_found_instead_of_an_instant() -> None:
    with pytest.raises(ValidationError, match="^expected an ISO-8601 instant, found int$"):
        Instant().validate(20261123)


def test_now_is_optional_in_the_configuration(tmp_path) -> None:
    def validated(values: dict) -> ExtranetConfig:
        config = ExtranetConfig(config_file_path=str(tmp_path / "mkdocs.yml"))
        config.load_dict(values)
        failed, _ = config.validate()
        assert failed == []
        return config

    assert validated({}).now is None
    assert validated({"now": None}).now is None
    config = validated({"now": "2026-11-23T12:00:00+01:00"})
    assert config.now == dt.datetime(2026, 11, 23, 11, 0, tzinfo=dt.timezone.utc)


def test_the_access_record_reads_back_what_the_build_wrote(tmp_path) -> None:
    areas = (Area("", PUBLIC), Area("customers/acme/", CUSTOMER, "acme", prefix=True),
             Area("staff/", STAFF, prefix=True))
    (tmp_path / "server").mkdir()
    written = access_record.write(tmp_path / "server", access_record.AccessRecord(areas, "/extranet/", "/srv/x"))
    assert written == tmp_path / "server/access.json"
    assert access_record.read(tmp_path) == access_record.AccessRecord(areas, "/extranet/", "/srv/x")


def test_an_access_record_of_an_older_build_has_the_defaults(tmp_path) -> None:
    (tmp_path / "server").mkdir()
    (tmp_path / "server/access.json").write_text('{"areas": [{"path": "", "audience": "public"}]}', encoding="utf-8")
    assert access_record.read(tmp_path) == access_record.AccessRecord((Area("", PUBLIC),), "/", None)


def test_a_directory_without_a_build_is_named_with_the_command_that_makes_one(tmp_path) -> None:
    with pytest.raises(access_record.NoBuild) as raised:
        access_record.read(tmp_path)
    assert str(raised.value) == f"{tmp_path} holds no build (no server/access.json); run `extranet build`"


@pytest.mark.parametrize(("content", "written"), [(b"\x00bytes", b"\x00bytes"), ("zdravím\r\n", "zdravím\r\n".encode()),
                                                   (iter([b"one ", b"two"]), b"one two")])
def test_an_atomic_write_replaces_the_file_whole_with_its_permissions(tmp_path, content, written) -> None:
    target = tmp_path / "file"
    target.write_bytes(b"old")
    write_atomically(target, content, permissions=0o640)
    assert target.read_bytes() == written
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert sorted(tmp_path.iterdir()) == [target]


def test_a_refused_or_failed_atomic_write_leaves_the_old_file_and_no_temporary(tmp_path) -> None:
    target = tmp_path / "customers.yaml"
    target.write_bytes(b"old")
    seen = []

    def refuse(temporary: Path) -> None:
        seen.append((temporary.parent, temporary.name.startswith(".customers.yaml."), temporary.read_bytes()))
        raise ValueError("refused")

    with pytest.raises(ValueError, match="^refused$"):
        write_atomically(target, b"new", check=refuse)
    assert seen == [(tmp_path, True, b"new")]

    def broken() -> Iterator[bytes]:
        yield b"half"
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space left"):
        write_atomically(target, broken())
    assert target.read_bytes() == b"old"
    assert sorted(tmp_path.iterdir()) == [target]


@pytest.mark.parametrize("before", [None, "86400"], ids=["unset", "set"])
def test_an_environment_variable_is_given_back_as_it_was(monkeypatch, before) -> None:
    if before is None:
        monkeypatch.delenv("EXTRANET_TEST_VARIABLE", raising=False)
    else:
        monkeypatch.setenv("EXTRANET_TEST_VARIABLE", before)
    with pytest.raises(RuntimeError), environment_variable("EXTRANET_TEST_VARIABLE", "inside"):
        assert os.environ["EXTRANET_TEST_VARIABLE"] == "inside"
        raise RuntimeError("the block fails")
    assert os.environ.get("EXTRANET_TEST_VARIABLE") == before


@pytest.mark.parametrize("before", [None, "86400"], ids=["unset", "set"])
def test_a_build_dates_its_files_at_now_and_gives_source_date_epoch_back(project, tmp_path, monkeypatch,
                                                                          before) -> None:
    if before is None:
        monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    else:
        monkeypatch.setenv("SOURCE_DATE_EPOCH", before)
    output = build(project.config, now=NOW_DT, output=tmp_path / "out")
    # gzip's header: bytes 4-7 are the modification time, which MkDocs takes from the pages' dates,
    # the day of SOURCE_DATE_EPOCH (UTC): the build's day, not today.
    header = (output / "site/sitemap.xml.gz").read_bytes()[:8]
    day = dt.datetime.combine(NOW_DT.astimezone(dt.timezone.utc).date(), dt.time(), dt.timezone.utc)
    assert int.from_bytes(header[4:8], "little") == int(day.timestamp())
    assert os.environ.get("SOURCE_DATE_EPOCH") == before

    project.write("content/cs/guides/install.md", "# Instalace\n\n[broken](missing.md)\n")  # strict: a warning fails
    with pytest.raises(BuildFailed):
        build(project.config, now=NOW_DT, output=tmp_path / "out", extranet=None)
    assert os.environ.get("SOURCE_DATE_EPOCH") == before


def test_path_options_are_relative_to_mkdocs_yml_and_shown_as_written(project, tmp_path, monkeypatch, capsys) -> None:
    """`releases`, `customers` and `storage.root` are MkDocs' own `c.Dir`/`c.File`: they name the same
    files from any working directory, and messages show them as mkdocs.yml writes them."""
    (project.root / "data").mkdir()
    (project.root / "customers.yaml").rename(project.root / "data/customers.yaml")
    (project.root / "releases").rename(project.root / "data/releases")
    project.replace("mkdocs.yml", "        root: storage",
                    "        root: storage\n      releases: data/releases\n      customers: data/customers.yaml")
    monkeypatch.chdir(tmp_path)
    options = plugin_config(load_site_config(Path("project/mkdocs.yml")))
    assert (options.releases, options.customers, options.storage.root) == (
        str(project.root / "data/releases"), str(project.root / "data/customers.yaml"), str(project.root / "storage"))
    assert main(["-f", "project/mkdocs.yml", "validate"]) == 0
    project.replace("data/customers.yaml", 'company_id: "27074358"', 'company_id: "00177042"')
    project.replace("data/releases/1.1.0.yaml", "kind: minor", "kind: minr")
    capsys.readouterr()
    assert main(["-f", "project/mkdocs.yml", "validate"]) == 1
    assert capsys.readouterr().err.splitlines() == [
        "data/customers.yaml:40:17: customers[0].company_id: '00177042' is not a valid IČO (check digit)",
        "data/releases/1.1.0.yaml:3:7: kind: 'minr' is not allowed; did you mean 'minor'?",
        "2 problem(s)"]


def test_a_path_option_of_the_wrong_type_gets_mkdocs_message_at_its_line(project, capsys) -> None:
    project.replace("mkdocs.yml", "        root: storage", "        root: storage\n      releases: 5")
    assert main(["-f", str(project.config), "validate"]) == 1
    assert capsys.readouterr().err.splitlines() == [
        "mkdocs.yml:7:1: plugins: Plugin 'extranet' option 'releases': Expected type: <class 'str'> but received: "
        "<class 'int'>",
        "1 problem(s)"]


@pytest.mark.parametrize(("path", "shown"), [("/p/releases", "releases"),
                                             ("/p/data/customers.yaml", "data/customers.yaml"),
                                             ("/shared/customers.yaml", "../shared/customers.yaml")])
def test_a_path_is_shown_relative_to_mkdocs_yml(path: str, shown: str) -> None:
    assert relative(path, Path("/p")) == shown
