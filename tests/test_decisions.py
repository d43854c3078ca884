"""The decisions, as pure functions of the model: upgrade paths, entitlements and release cadence."""

from __future__ import annotations

import datetime as dt

import pytest

from extranet import cadence, entitlements, versions
from extranet.entitlements import Reason
from extranet.model import Artifact, Cadence, Customer, Edition, Module, Platform, Release, User, Vendor, version_key

SHA = "0" * 64


def release(version: str, date: str, kind: str = "minor", *, stop: bool = False, notes: int = 0,
            artifacts: tuple[tuple[str, str], ...] = (("core", "linux"), ("extra", "linux"), ("core", "windows"))):
    return Release(
        version=version, date=dt.date.fromisoformat(date), kind=kind, title={"cs": version, "en": version},
        upgrade_notes=tuple({"cs": f"krok {version}/{i}", "en": f"step {version}/{i}"} for i in range(notes)),
        required_stop=stop,
        artifacts=tuple(Artifact(id=f"{m}-{p}", module=m, platform=p, file=f"{m}-{p}-{version}.zip", size=1, sha256=SHA)
                        for m, p in artifacts),
    )


RELEASES = (
    release("1.0.0", "2024-01-10", "major", notes=1),
    release("1.1.0", "2024-03-01"),
    release("1.2.0", "2024-06-01", notes=2),
    release("2.0.0", "2024-09-01", "major", stop=True, notes=1),
    release("2.0.1", "2024-10-01", "patch"),
    release("2.1.0", "2025-02-01"),
    release("3.0.0", "2025-08-01", "major", stop=True),
    release("3.1.0", "2026-01-15", notes=1),
)
VENDOR = Vendor(
    name="V", company_id="00177041", address="A", website="https://v.example", product="P",
    modules=(Module(id="core", name={"cs": "Jádro", "en": "Core"}), Module(id="extra", name={"cs": "D", "en": "E"})),
    platforms=(Platform(id="linux", name="Linux"), Platform(id="windows", name="Windows")),
    editions=(Edition(id="standard", name="Standard", modules=("core",)),),
)


def customer(*, until: str = "2030-12-31", modules: tuple[str, ...] = (), platforms=("linux",)) -> Customer:
    return Customer(
        id="c", name="C", company_id="27074358", plan="p", edition="standard", modules=modules, platforms=platforms,
        support_from=dt.date(2020, 1, 1), support_until=dt.date.fromisoformat(until), installed_version="1.0.0",
        language="cs", users=(User(login="c.one", name="C One", email="c@c.example", password_hash="$2b$10$" + "a" * 53),),
    )


# --- versions ------------------------------------------------------------------------------------

def test_versions_order_numerically_not_as_text():
    assert sorted(["10.0.0", "9.10.0", "9.2.0", "9.2"], key=version_key) == ["9.2.0", "9.2", "9.10.0", "10.0.0"]
    assert version_key("9.2") == version_key("9.2.0")


def test_any_version_upgrades_directly_to_any_higher_one_without_stops():
    plain = tuple(Release(**{**r.__dict__, "required_stop": False}) for r in RELEASES)
    path = versions.upgrade_path(plain, "1.0.0", "3.1.0")
    assert [r.version for r in path.steps] == ["3.1.0"]
    assert [r.version for r in path.passed] == ["1.1.0", "1.2.0", "2.0.0", "2.0.1", "2.1.0", "3.0.0", "3.1.0"]


def test_required_stops_are_installed_in_order():
    path = versions.upgrade_path(RELEASES, "1.0.0", "3.1.0")
    assert [r.version for r in path.steps] == ["2.0.0", "3.0.0", "3.1.0"]


def test_a_stop_that_is_the_target_or_the_source_is_not_repeated():
    assert [r.version for r in versions.upgrade_path(RELEASES, "1.1.0", "2.0.0").steps] == ["2.0.0"]
    assert [r.version for r in versions.upgrade_path(RELEASES, "2.0.0", "3.1.0").steps] == ["3.0.0", "3.1.0"]


def test_cumulative_notes_cover_every_passed_release_in_order_but_not_the_source():
    path = versions.upgrade_path(RELEASES, "1.0.0", "3.1.0")
    assert [(r.version, note["en"]) for r, note in path.notes] == [
        ("1.2.0", "step 1.2.0/0"), ("1.2.0", "step 1.2.0/1"), ("2.0.0", "step 2.0.0/0"), ("3.1.0", "step 3.1.0/0")]


def test_guides_of_passed_releases_in_order():
    path = versions.upgrade_path(RELEASES, "1.1.0", "3.0.0")
    guides = {"3.0.0": "upgrade/3.0.0.md", "1.0.0": "upgrade/1.0.0.md", "2.0.0": "upgrade/2.0.0.md"}
    assert [r.version for r in path.guides(guides)] == ["2.0.0", "3.0.0"]


@pytest.mark.parametrize(("source", "target", "message"), [
    ("2.0.0", "1.0.0", "1.0.0 is lower than 2.0.0: downgrades are not supported"),
    ("2.0.0", "2.0", "2.0.0 is already installed: nothing to upgrade"),
    ("1.0.0", "9.9.9", "unknown version '9.9.9' (the latest are 2.0.0, 2.0.1, 2.1.0, 3.0.0, 3.1.0)"),
])
def test_impossible_upgrades_say_why(source, target, message):
    with pytest.raises(versions.UpgradeError, match="^" + message.replace("(", r"\(").replace(")", r"\)") + "$"):
        versions.upgrade_path(RELEASES, source, target)


# --- entitlements --------------------------------------------------------------------------------

def test_licensed_modules_and_platforms_decide_each_artifact():
    result = entitlements.entitlement(VENDOR, customer(), RELEASES)
    entry = result.of(RELEASES[-1])
    assert [a.id for a in entry.downloadable] == ["core-linux"]
    assert [(w.artifact.id, w.reasons) for w in entry.withheld] == [
        ("extra-linux", (Reason.MODULE_NOT_LICENSED,)), ("core-windows", (Reason.PLATFORM_NOT_LICENSED,))]


def test_an_extra_module_adds_its_artifacts():
    result = entitlements.entitlement(VENDOR, customer(modules=("extra",), platforms=("linux", "windows")), RELEASES)
    assert result.modules == ("core", "extra")
    assert [a.id for a in result.of(RELEASES[-1]).downloadable] == ["core-linux", "extra-linux", "core-windows"]


def test_support_ended_keeps_what_came_before_and_explains_the_rest():
    result = entitlements.entitlement(VENDOR, customer(until="2025-02-01"), RELEASES)
    assert result.latest.version == "2.1.0"  # released on the last day of support: still covered
    assert [r.version for r in result.missed] == ["3.0.0", "3.1.0"]
    withheld = result.of(RELEASES[-1]).withheld
    assert [(w.artifact.id, w.reasons) for w in withheld] == [
        ("core-linux", (Reason.SUPPORT_ENDED,)),
        ("extra-linux", (Reason.SUPPORT_ENDED, Reason.MODULE_NOT_LICENSED)),
        ("core-windows", (Reason.SUPPORT_ENDED, Reason.PLATFORM_NOT_LICENSED)),
    ]
    assert not result.may_download(RELEASES[-1], RELEASES[-1].artifacts[0])
    assert result.may_download(RELEASES[5], RELEASES[5].artifacts[0])


def test_support_status_on_the_boundaries():
    c = customer(until="2025-02-01")
    assert entitlements.support_active(c, dt.date(2025, 2, 1))
    assert not entitlements.support_active(c, dt.date(2025, 2, 2))
    assert not entitlements.support_active(c, dt.date(2019, 12, 31))


# --- cadence -------------------------------------------------------------------------------------

def test_cadence_per_year_against_the_promise():
    promise = Cadence(major_at_least=2, minor_about=6)
    years = cadence.by_year(RELEASES, promise, dt.date(2026, 3, 1))
    assert [(y.year, y.major, y.minor, y.patch, y.complete, y.major_met, y.minor_met, y.status) for y in years] == [
        (2024, 2, 2, 1, True, True, False, "missed"),
        (2025, 1, 1, 0, True, False, False, "missed"),
        (2026, 0, 1, 0, False, False, False, "running"),
    ]


def minors(count: int, year: int = 2024) -> tuple:
    return tuple(release(f"1.{i}.0", f"{year}-{i // 28 + 1:02d}-{i % 28 + 1:02d}") for i in range(count)) + (
        release("2.0.0", f"{year}-06-01", "major"), release("3.0.0", f"{year}-07-01", "major"))


@pytest.mark.parametrize(("count", "status"), [(3, "missed"), (4, "missed"), (5, "kept"), (6, "kept"), (7, "kept"),
                                               (8, "exceeded"), (12, "exceeded")])
def test_about_six_minor_releases_means_five_to_seven(count: int, status: str):
    """"Přibližně šest": the range is 5 to 7 (one either way) unless the plan states `minor_between`."""
    promise = Cadence(major_at_least=2, minor_about=6)
    assert promise.minor_range == (5, 7)
    year = cadence.by_year(minors(count), promise, dt.date(2025, 1, 1))[0]
    assert (year.minor, year.minor_met, year.status) == (count, 5 <= count <= 7, status)


def test_a_plan_may_state_its_own_range():
    promise = Cadence(major_at_least=2, minor_about=6, minor_between=(4, 8))
    assert cadence.by_year(minors(4), promise, dt.date(2025, 1, 1))[0].status == "kept"
    assert cadence.by_year(minors(9), promise, dt.date(2025, 1, 1))[0].status == "exceeded"
    with pytest.raises(ValueError, match=r"minor_between \[7, 8\] must contain minor_about 6"):
        Cadence(major_at_least=2, minor_about=6, minor_between=(7, 8))


def test_a_running_year_is_not_missed_yet():
    promise = Cadence(major_at_least=2, minor_about=6)
    assert cadence.by_year(minors(3, 2026), promise, dt.date(2026, 11, 23))[0].status == "running"


def test_releases_after_today_do_not_count_yet():
    years = cadence.by_year(RELEASES, Cadence(major_at_least=2, minor_about=6), dt.date(2026, 1, 14))
    assert years[-1].minor == 0
