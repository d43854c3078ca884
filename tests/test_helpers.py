"""The helpers that one place each decides: content types, instants, atomic writes, the build's
access record and the environment a build changes."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from mkdocs.config.base import ValidationError

from extranet import access_record, cli
from extranet.access import CUSTOMER, PUBLIC, STAFF, Area
from extranet.config import ExtranetConfig, Instant
from extranet.content_types import content_type
from extranet.instants import parse_instant

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
    (dt.datetime(2026, 11, 23, 11, 0, tzinfo=dt.timezone.utc), dt.datetime(2026, 11, 23, 11, 0, tzinfo=dt.timezone.utc)),
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
    areas = (Area("", PUBLIC), Area("customers/acme/", CUSTOMER, "acme", prefix=True), Area("staff/", STAFF, prefix=True))
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
