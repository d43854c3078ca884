"""The support calendar: deadlines per the plan's rules, `extranet sla deadline`, the support pages,
the exported calendar and `support-calendar.ics`, and the problem report e-mail."""

from __future__ import annotations

import datetime as dt
import html
import json
import re
import urllib.parse
from pathlib import Path

import icalendar
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from extranet import support_calendar
from extranet.cli import main
from extranet.loading import load
from extranet.model import PlannedRelease, Rule

from .conftest import REPO

DEMO = load(REPO, languages=("cs", "en"))
PLAN = DEMO.plans["enterprise"]
CAL = support_calendar.calendar(PLAN.calendar)
PLANNED = DEMO.vendor.planned_releases
RELEASES = support_calendar.upgrades(DEMO.releases, PLANNED)
"""Every official release, published (releases/) and planned (vendor.planned_releases)."""
CONFIG = ["-f", str(REPO / "mkdocs.yml")]
NOW = "2026-11-23T12:00:00+01:00"
"""The instant the demo is built at (tests/conftest.py): the calendar covers 2025 to 2028."""
SLA = [*CONFIG, "sla", "deadline", "--now", NOW, "--plan", "enterprise"]


def rule(text: str) -> Rule:
    kind, _, days = text.partition(":")
    return Rule(kind=kind, days=int(days) if days else 0)  # type: ignore[arg-type]


# (reported, rule, expected deadline): every case states the exact instant, in Prague's offset.
CASES = [
    # business-hour edges and weekends
    ("2026-11-20T15:59:00+01:00", "immediate", "2026-11-20T15:59:00+01:00"),
    ("2026-11-20T16:00:00+01:00", "immediate", "2026-11-23T08:00:00+01:00"),
    ("2026-11-21T10:00:00+01:00", "immediate", "2026-11-23T08:00:00+01:00"),
    ("2026-11-23T07:59:00+01:00", "immediate", "2026-11-23T08:00:00+01:00"),
    ("2026-11-23T08:00:00+01:00", "immediate", "2026-11-23T08:00:00+01:00"),
    ("2026-11-23T07:00:00+01:00", "same_business_day", "2026-11-23T16:00:00+01:00"),
    ("2026-11-23T15:59:59+01:00", "same_business_day", "2026-11-23T16:00:00+01:00"),
    ("2026-11-23T16:00:00+01:00", "same_business_day", "2026-11-24T16:00:00+01:00"),
    ("2026-11-21T09:00:00+01:00", "same_business_day", "2026-11-23T16:00:00+01:00"),
    ("2026-11-20T09:00:00+01:00", "next_business_day", "2026-11-23T16:00:00+01:00"),
    ("2026-11-22T23:59:00+01:00", "next_business_day", "2026-11-23T16:00:00+01:00"),
    ("2026-11-23T23:59:00+01:00", "next_business_day", "2026-11-24T16:00:00+01:00"),
    # a report in UTC or another offset counts on Prague's calendar day
    ("2026-11-22T23:30:00+00:00", "same_business_day", "2026-11-23T16:00:00+01:00"),
    ("2026-11-22T23:30:00+00:00", "next_business_day", "2026-11-24T16:00:00+01:00"),
    ("2026-11-23T10:00:00-05:00", "same_business_day", "2026-11-24T16:00:00+01:00"),
    # 17 November
    ("2026-11-16T12:00:00+01:00", "next_business_day", "2026-11-18T16:00:00+01:00"),
    ("2026-11-13T12:00:00+01:00", "business_days:3", "2026-11-19T16:00:00+01:00"),
    ("2026-11-10T12:00:00+01:00", "calendar_days:7", "2026-11-18T16:00:00+01:00"),
    ("2026-11-16T10:00:00+01:00", "calendar_days:7", "2026-11-23T16:00:00+01:00"),
    ("2026-11-17T10:00:00+01:00", "immediate", "2026-11-18T08:00:00+01:00"),
    # Easter 2026: Good Friday 3 April, Easter Monday 6 April (summer time)
    ("2026-04-02T17:00:00+02:00", "next_business_day", "2026-04-07T16:00:00+02:00"),
    ("2026-04-02T16:30:00+02:00", "immediate", "2026-04-07T08:00:00+02:00"),
    ("2026-04-03T10:00:00+02:00", "same_business_day", "2026-04-07T16:00:00+02:00"),
    ("2027-03-25T12:00:00+01:00", "next_business_day", "2027-03-30T16:00:00+02:00"),
    # Christmas: 24-26 December are holidays; 28-31 December are working days (the terms state no
    # company holiday), 1 January is a holiday
    ("2026-12-23T15:00:00+01:00", "same_business_day", "2026-12-23T16:00:00+01:00"),
    ("2026-12-23T17:30:00+01:00", "same_business_day", "2026-12-28T16:00:00+01:00"),
    ("2026-12-23T17:30:00+01:00", "immediate", "2026-12-28T08:00:00+01:00"),
    ("2026-12-29T10:00:00+01:00", "next_business_day", "2026-12-30T16:00:00+01:00"),
    ("2026-12-30T10:00:00+01:00", "next_business_day", "2026-12-31T16:00:00+01:00"),
    ("2026-12-31T10:00:00+01:00", "next_business_day", "2027-01-04T16:00:00+01:00"),
    ("2026-12-29T10:00:00+01:00", "same_business_day", "2026-12-29T16:00:00+01:00"),
    ("2026-12-17T10:00:00+01:00", "calendar_days:7", "2026-12-28T16:00:00+01:00"),
    ("2026-12-22T10:00:00+01:00", "business_days:2", "2026-12-28T16:00:00+01:00"),
    ("2026-12-22T10:00:00+01:00", "business_days:4", "2026-12-30T16:00:00+01:00"),
    ("2026-12-22T10:00:00+01:00", "business_days:6", "2027-01-04T16:00:00+01:00"),
    # 5-6 July: Sunday and Monday in 2026, Monday and Tuesday in 2027
    ("2026-07-03T18:00:00+02:00", "next_business_day", "2026-07-07T16:00:00+02:00"),
    ("2027-07-02T12:00:00+02:00", "next_business_day", "2027-07-07T16:00:00+02:00"),
    ("2027-06-28T12:00:00+02:00", "calendar_days:7", "2027-07-07T16:00:00+02:00"),
    # 28 September (Monday in 2026), 28 October (Wednesday in 2026, after the clocks went back)
    ("2026-09-25T16:05:00+02:00", "immediate", "2026-09-29T08:00:00+02:00"),
    ("2026-10-27T16:00:00+01:00", "same_business_day", "2026-10-29T16:00:00+01:00"),
    ("2026-10-27T10:00:00+01:00", "next_business_day", "2026-10-29T16:00:00+01:00"),
    # DST: the last Sunday of March (29 March 2026) and of October (25 October 2026)
    ("2026-03-28T12:00:00+01:00", "next_business_day", "2026-03-30T16:00:00+02:00"),
    ("2026-03-29T01:30:00+00:00", "immediate", "2026-03-30T08:00:00+02:00"),
    ("2026-03-27T15:00:00+01:00", "calendar_days:7", "2026-04-07T16:00:00+02:00"),
    ("2026-03-27T15:00:00+01:00", "same_business_day", "2026-03-27T16:00:00+01:00"),
    ("2026-10-25T02:30:00+02:00", "next_business_day", "2026-10-26T16:00:00+01:00"),
    ("2026-10-25T02:30:00+01:00", "immediate", "2026-10-26T08:00:00+01:00"),
    ("2026-10-23T14:00:00+02:00", "business_days:1", "2026-10-26T16:00:00+01:00"),
    ("2026-10-24T23:30:00+00:00", "same_business_day", "2026-10-26T16:00:00+01:00"),
]


@pytest.mark.parametrize(("reported", "rule_text", "expected"), CASES)
def test_deadline_table(reported: str, rule_text: str, expected: str):
    due = support_calendar.deadline(CAL, rule(rule_text), dt.datetime.fromisoformat(reported), RELEASES)
    assert due.at is not None and due.at.isoformat() == expected


# "v nejbližší možné oficiální aktualizaci": the first release dated after the report day, published
# (releases/) or planned (vendor.planned_releases), patch releases included.
@pytest.mark.parametrize(("reported", "version", "published"), [
    ("2026-01-20T10:00:00+01:00", "8.0.1", True),    # 8.0.0 came out the day before
    ("2026-02-09T10:00:00+01:00", "8.1.0", True),    # on 8.0.1's own release day: the next one
    ("2026-02-15T10:00:00+01:00", "8.1.0", True),    # not 9.4.0, the next *planned* release
    ("2026-03-02T15:00:00+01:00", "8.2.0", True),
    ("2026-04-12T23:59:00+02:00", "8.2.0", True),
    ("2026-10-01T12:00:00+02:00", "9.2.1", True),
    ("2026-11-08T12:00:00+01:00", "9.3.0", True),
    ("2026-11-23T12:00:00+01:00", "9.4.0", False),
    ("2026-12-13T23:59:00+01:00", "9.4.0", False),
    ("2026-12-14T08:00:00+01:00", "10.0.0", False),  # on the release day the fix can no longer be in it
    ("2026-12-13T23:30:00+00:00", "10.0.0", False),  # 00:30 on 14 December in Prague
    ("2027-02-15T09:00:00+01:00", None, False),      # after the last planned release: none planned yet
])
def test_next_release_is_the_first_release_after_the_report_published_or_planned(reported: str, version: str | None,
                                                                                   published: bool):
    due = support_calendar.deadline(CAL, rule("next_release"), dt.datetime.fromisoformat(reported), RELEASES)
    assert due.at is None
    assert (due.release.version if due.release else None, due.published) == (version, published)


def test_the_demo_calendar_closes_on_czech_public_holidays_only():
    """The terms speak of working days only: the demo publishes no company holiday."""
    assert [day.isoformat() for day, _ in CAL.closures(dt.date(2026, 1, 1), dt.date(2026, 12, 31), "cs")] == [
        "2026-01-01", "2026-04-03", "2026-04-06", "2026-05-01", "2026-05-08", "2026-07-06", "2026-09-28",
        "2026-10-28", "2026-11-17", "2026-12-24", "2026-12-25"]
    assert not CAL.is_business_day(dt.date(2026, 7, 5))  # a Sunday and a holiday: closed, not listed
    assert [CAL.is_business_day(dt.date(2026, 12, day)) for day in (28, 29, 30, 31)] == [True] * 4
    assert PLAN.calendar.closed_days == ()


# --- properties ------------------------------------------------------------------------------

REPORTS = st.datetimes(min_value=dt.datetime(2025, 1, 1), max_value=dt.datetime(2028, 12, 20),
                       timezones=st.sampled_from([dt.timezone.utc, dt.timezone(dt.timedelta(hours=1)),
                                                  dt.timezone(dt.timedelta(hours=2)),
                                                  dt.timezone(dt.timedelta(hours=-7, minutes=-30))]))
RULES = st.one_of(st.sampled_from([rule("immediate"), rule("same_business_day"), rule("next_business_day")]),
                  st.builds(lambda kind, days: Rule(kind=kind, days=days),
                            st.sampled_from(["business_days", "calendar_days"]), st.integers(1, 40)))


@settings(max_examples=400, deadline=None)
@given(reported=REPORTS, r=RULES)
def test_a_deadline_is_never_before_the_report_and_falls_in_business_hours(reported: dt.datetime, r: Rule):
    due = support_calendar.deadline(CAL, r, reported, RELEASES)
    assert due.at is not None and due.at >= reported
    local = due.at.astimezone(CAL.zone)
    assert CAL.is_business_day(local.date())
    if r.kind == "immediate":
        assert CAL.is_open(local)
        assert due.at == reported or local.time() == PLAN.calendar.opens
    else:
        assert local.time() == PLAN.calendar.closes, (reported, r, due.at)
        if r.kind in ("next_business_day", "business_days"):
            assert local.date() > reported.astimezone(CAL.zone).date()


@settings(max_examples=200, deadline=None)
@given(reported=REPORTS)
def test_the_target_is_never_later_than_the_deadline(reported: dt.datetime):
    response = next(s for s in PLAN.severities if s.id == "serious").response
    assert response.target is not None
    target = support_calendar.deadline(CAL, response.target, reported).at
    latest = support_calendar.deadline(CAL, response.deadline, reported).at
    assert target is not None and latest is not None and reported <= target <= latest


@settings(max_examples=100, deadline=None)
@given(reported=REPORTS)
def test_next_release_is_after_the_report_day_or_none(reported: dt.datetime):
    planned = (PlannedRelease(version="9.4.0", date=dt.date(2026, 12, 14)),
               PlannedRelease(version="10.0.0", date=dt.date(2027, 2, 15)))
    due = support_calendar.deadline(CAL, rule("next_release"), reported, planned)
    day = reported.astimezone(CAL.zone).date()
    assert (due.release is None) == (day >= dt.date(2027, 2, 15))
    assert due.release is None or due.release.date > day


# --- the command -----------------------------------------------------------------------------

def test_sla_deadline_json_carries_the_plans_offset(capsys):
    assert main([*SLA, "--severity", "serious",
                 "--reported", "2026-03-27T17:00:00+01:00", "--channel", "email", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {
        "plan": "enterprise", "severity": "serious", "channel": "email", "timezone": "Europe/Prague",
        "reported": "2026-03-27T17:00:00+01:00", "deadline": "2026-03-30T16:00:00+02:00",
        "rule": "next_business_day", "release": None,
        "target": {"deadline": "2026-03-30T16:00:00+02:00", "rule": "same_business_day", "release": None}}


def test_sla_deadline_text_per_channel(capsys):
    # common question by phone: "ihned (telefon) a nebo nejpozději následující pracovní den"
    assert main([*SLA, "--severity", "common", "--reported", "2026-12-23T17:30:00Z", "--channel", "phone"]) == 0
    assert capsys.readouterr().out == (
        "deadline: 2026-12-28T16:00:00+01:00 (Mon 28 Dec 2026 16:00 CET; next_business_day)\n"
        "target:   2026-12-28T08:00:00+01:00 (Mon 28 Dec 2026 08:00 CET; immediate)\n")
    assert main([*SLA, "--severity", "common", "--reported", "2026-12-23T12:30", "--channel", "email"]) == 0
    assert capsys.readouterr().out == ("deadline: 2026-12-28T16:00:00+01:00 (Mon 28 Dec 2026 16:00 CET; "
                                       "next_business_day)\n")
    assert main([*SLA, "--severity", "less_serious", "--reported", "2026-06-29T09:00:00+02:00"]) == 0
    assert capsys.readouterr().out == ("deadline: 2026-07-07T16:00:00+02:00 (Tue 07 Jul 2026 16:00 CEST; "
                                       "calendar_days: 7)\n")


@pytest.mark.parametrize(("channel", "reported", "target", "deadline"), [
    ("phone", "2026-12-29T10:00", "2026-12-29T10:00:00+01:00", "2026-12-30T16:00:00+01:00"),
    ("email", "2026-12-29T10:00", None, "2026-12-30T16:00:00+01:00"),
    ("phone", "2026-12-31T15:00", "2026-12-31T15:00:00+01:00", "2027-01-04T16:00:00+01:00"),
    ("phone", "2026-12-31T16:30", "2027-01-04T08:00:00+01:00", "2027-01-04T16:00:00+01:00"),
])
def test_a_common_question_is_answered_by_the_next_working_day_on_both_channels(
        channel: str, reported: str, target: str | None, deadline: str, capsys):
    """By phone right away as the target; on both channels the next working day as the deadline."""
    assert main([*SLA, "--severity", "common", "--channel", channel, "--reported", reported, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["target"]["deadline"] if out["target"] else None, out["deadline"]) == (target, deadline)


def test_sla_deadline_next_release(capsys):
    assert main([*SLA, "--severity", "cosmetic", "--reported", "2026-02-15T10:00:00+01:00"]) == 0
    assert capsys.readouterr().out == "deadline: 2026-03-02 (release 8.1.0, published; next_release)\n"
    assert main([*SLA, "--severity", "cosmetic", "--reported", "2026-11-23T12:00:00+01:00"]) == 0
    assert capsys.readouterr().out == "deadline: 2026-12-14 (release 9.4.0, planned; next_release)\n"
    assert main([*SLA, "--severity", "cosmetic", "--reported", "2026-04-20T09:00", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["deadline"], out["release"]) == ("2026-05-25", {"version": "8.3.0", "date": "2026-05-25",
                                                                "published": True})
    assert main([*SLA, "--severity", "cosmetic", "--reported", "2027-03-01T12:00:00+01:00", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["deadline"], out["release"], out["rule"]) == (None, None, "next_release")
    assert main([*SLA, "--severity", "cosmetic", "--reported", "2027-03-01T12:00:00+01:00"]) == 0
    assert capsys.readouterr().out == "deadline: none yet: no release is planned after 2027-03-01 (next_release)\n"


@pytest.mark.parametrize(("args", "message"), [
    (["--plan", "gold", "--severity", "serious", "--reported", "2026-11-23T12:00:00+01:00"],
     "extranet sla deadline: unknown plan 'gold' (plans: enterprise)\n"),
    (["--plan", "enterprise", "--severity", "urgent", "--reported", "2026-11-23T12:00:00+01:00"],
     "extranet sla deadline: unknown severity 'urgent' (severities of enterprise: common, serious, less_serious, "
     "cosmetic)\n"),
    (["--plan", "enterprise", "--severity", "serious", "--reported", "2026-11-23T12:00:00+01:00", "--channel", "fax"],
     "extranet sla deadline: unknown channel 'fax' (channels of enterprise: phone, email)\n"),
    (["--plan", "enterprise", "--severity", "serious", "--reported", "2026-03-29T02:30"],
     "extranet sla deadline: 2026-03-29T02:30:00 does not exist in Europe/Prague (clocks go forward); "
     "give the offset or a valid time\n"),
    (["--plan", "enterprise", "--severity", "serious", "--reported", "2026-10-25T02:30"],
     "extranet sla deadline: 2026-10-25T02:30:00 happens twice in Europe/Prague (clocks go back); give the offset, "
     "e.g. 2026-10-25T02:30:00+02:00 or 2026-10-25T02:30:00+01:00\n"),
    # outside the years the calendar covers (the page's calendar.json of a build at --now): refused
    (["--plan", "enterprise", "--severity", "serious", "--reported", "2029-01-02T10:00"],
     "extranet sla deadline: the support calendar covers 2025-01-01 to 2028-12-31 only (2029-01-02 is outside)\n"),
    (["--plan", "enterprise", "--severity", "cosmetic", "--reported", "2024-12-31T10:00:00+01:00"],
     "extranet sla deadline: the support calendar covers 2025-01-01 to 2028-12-31 only (2024-12-31 is outside)\n"),
    # the report is inside, but the deadline would need a day of 2029
    (["--plan", "enterprise", "--severity", "serious", "--reported", "2028-12-29T17:00"],
     "extranet sla deadline: the support calendar covers 2025-01-01 to 2028-12-31 only (2029-01-01 is outside)\n"),
])
def test_sla_deadline_refuses_with_a_precise_message(args: list[str], message: str, capsys):
    assert main([*CONFIG, "sla", "deadline", "--now", NOW, *args]) == 1
    assert capsys.readouterr().err == message


def test_sla_deadline_rejects_a_malformed_time(capsys):
    with pytest.raises(SystemExit) as exit_:
        main([*SLA, "--severity", "serious", "--reported", "tomorrow"])
    assert exit_.value.code == 2
    assert "'tomorrow' is not an ISO-8601 time" in capsys.readouterr().err


# --- validation ------------------------------------------------------------------------------

@pytest.mark.parametrize(("old", "new", "message"), [
    ('    - version: "9.4.0"\n      date: 2026-12-14', '    - version: "9.3.0"\n      date: 2026-12-14',
     "vendor.planned_releases[0].version: '9.3.0' has been released (releases/9.3.0.yaml); remove it from "
     "planned_releases"),
    ('    - version: "9.4.0"\n      date: 2026-12-14', '    - version: "9.4.0"\n      date: 2026-10-01',
     "vendor.planned_releases[0].date: 2026-10-01 is before 2026-11-09 of the latest release 9.3.0"),
    ('    - version: "10.0.0"\n      date: 2027-02-15', '    - version: "9.3.5"\n      date: 2027-02-15',
     "vendor.planned_releases[1]: '9.3.5' (2027-02-15) must come after '9.4.0' (2026-12-14): list planned "
     "releases in version and date order"),
    ("      country: CZ", "      country: XX",
     "plans[0].calendar.country: 'XX' has no public-holiday calendar in the `holidays` package"),
    ('      closes: "16:00"', '      closes: "07:00"', "plans[0].calendar.closes: 07:00 is not after opens 08:00"),
])
def test_calendar_and_planned_releases_are_validated(tmp_path: Path, old: str, new: str, message: str, capsys):
    import shutil

    root = tmp_path / "demo"
    shutil.copytree(REPO, root, ignore=shutil.ignore_patterns(".git", "build", ".venv", "tests", "node_modules"))
    text = (root / "customers.yaml").read_text(encoding="utf-8")
    assert old in text
    (root / "customers.yaml").write_text(text.replace(old, new, 1), encoding="utf-8")
    assert main(["-f", str(root / "mkdocs.yml"), "validate"]) == 1
    err = capsys.readouterr().err
    assert re.search(r"customers\.yaml:\d+:\d+: " + re.escape(message), err), err


# --- pages and files -------------------------------------------------------------------------

def article(site: Path, path: str) -> str:
    text = (site / path).read_text(encoding="utf-8")
    return text[text.index("<article"):text.index("</article>")]


def text_of(fragment: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", fragment)))


@pytest.mark.parametrize(("path", "expected"), [
    ("support/index.html", [
        "Telefon : +420 478 571 021 , v pracovní dny od 08:00 do 16:00", "E-mail : support@intouch-crm.cz",
        "Technická pomoc se poskytuje výhradně v českém jazyce.",
        "Kdy je podpora zavřena", "24. prosince 2026: Štědrý den", "29. března 2027: Velikonoční pondělí",
        "5. července 2027: Den slovanských věrozvěstů Cyrila a Metoděje", "Kdy dostanete odpověď",
        "Program nelze vůbec použít, například se nespustí nebo se do něj nikdo nemůže přihlásit.",
        "většinou v den nahlášení, nejpozději následující pracovní den", "Programátorské práce",
        "Zavřené dny do Vašeho kalendáře (iCalendar, .ics)"]),
    ("en/support/index.html", [
        "Phone : +420 478 571 021 , on business days from 08:00 to 16:00", "Technical support is provided "
        "exclusively in Czech.", "When support is closed", "24 December 2026: Christmas Eve",
        "17 November 2027: Struggle for Freedom and Democracy Day", "When you will get an answer",
        "A typo or a misaligned label on the screen.", "in the next possible official upgrade",
        "Servicing on the customer's premises", "Closed days for your calendar app (iCalendar, .ics)"]),
])
def test_support_pages_show_the_calendar_table_and_calculator(demo_site: Path, path: str, expected: list[str]):
    page = article(demo_site, path)
    text = text_of(page)
    for item in expected:
        assert item in text, item
    assert page.count('class="extranet-status"') == 2
    assert 'data-calendar="../../support/enterprise/calendar.json"' in page or \
        'data-calendar="../support/enterprise/calendar.json"' in page
    assert '<form class="extranet-deadline" hidden>' in page
    assert "extranet-report" not in page  # the report form carries a customer's IČO: private pages only
    assert (demo_site / "assets/javascripts/extranet-support.js").is_file()


# Every sentence about the rules, exactly as rendered: each is true for every rule it covers.
SENTENCES = {
    "cs": [
        "Na dotazy nebo požadavky je reagováno podle závažnosti problému. Časy jsou uvedeny v pražském čase.",
        "Telefon: ihned, nejpozději následující pracovní den E-mail: nejpozději následující pracovní den "
        "Odpovíme na dotaz.",
        "většinou v den nahlášení, nejpozději následující pracovní den Zahájíme aktivní řešení problému.",
        "nejpozději do týdne od nahlášení Zahájíme aktivní řešení problému.",
        "v nejbližší možné oficiální aktualizaci Vadu odstraníme v nejbližší možné oficiální aktualizaci.",
        "„Ihned“ platí v provozní době, v pracovní dny od 08:00 do 16:00 pražského času; mimo ni od nejbližšího "
        "otevření.",
        "„Následující pracovní den“ znamená do 16:00 pražského času prvního pracovního dne po dni nahlášení.",
        "„V den nahlášení“ znamená do 16:00 téhož dne, je-li pracovní a nahlásíte-li problém před 16:00; jinak do "
        "16:00 následujícího pracovního dne.",
        "Lhůta „do týdne od nahlášení“ se počítá v kalendářních dnech: končí v 16:00 7. dne po dni nahlášení, a "
        "není-li to pracovní den, v 16:00 nejbližšího následujícího pracovního dne.",
        "„V nejbližší možné oficiální aktualizaci“ znamená v první oficiální aktualizaci s datem vydání po dni "
        "nahlášení, ať už je vydaná, nebo plánovaná.",
        "Pracovní dny jsou pondělí až pátek kromě státních svátků a ostatních svátků v České republice. V příštích "
        "12 měsících je technická pomoc zavřena také v těchto dnech: 24. prosince 2026: Štědrý den 25. prosince "
        "2026: 1. svátek vánoční 1. ledna 2027: Den obnovy samostatného českého státu; Nový rok 26. března 2027: "
        "Velký pátek",
        "Zvolte závažnost, způsob kontaktu a čas nahlášení v pražském čase. Výpočet počítá s víkendy a svátky.",
        "Nahlášeno (pražský čas)",
    ],
    "en": [
        "Questions and requests are handled depending on the issue urgency. Times are in Prague time.",
        "Phone: right away, by the next business day at the latest E-mail: by the next business day at "
        "the latest The question is answered.",
        "mostly on the day of the report, by the next business day at the latest",
        "within a week of being reported at the latest",
        "“Right away” applies during business hours, on business days from 08:00 to 16:00 Prague time; outside "
        "them from the next opening.",
        "“The next business day” means by 16:00 Prague time on the first business day after the day of the report.",
        "The deadline “within a week of being reported” counts calendar days: it ends at 16:00 on day 7 after the "
        "day of the report or, if that is not a business day, at 16:00 on the next business day.",
        "“In the next possible official upgrade” means in the first official release dated after the day of the "
        "report, published or planned.",
        "Business days are Monday to Friday except public holidays in the Czech Republic. In the next 12 months "
        "support is also closed on these days: 24 December 2026: Christmas Eve",
        "Choose the severity, the channel and when you report, in Prague time. The calculation takes weekends and "
        "public holidays into account.",
        "Reported (Prague time)",
    ],
}
WRONG = ["Lhůty běží v pracovních dnech", "Deadlines run in business days", "Europe/Prague", "(CZ", "IČO",
         "firemní dovolen", "company holiday", "kromě státních svátků (", "2026-", "2027-"]


@pytest.mark.parametrize("language", ["cs", "en"])
@pytest.mark.parametrize("page", ["support/index.html", "customers/strojirny-labe/index.html"])
def test_every_sentence_about_the_rules_is_exactly_as_the_terms_say(demo_site: Path, page: str, language: str):
    path = page if language == "cs" else "en/" + page
    html_ = article(demo_site, path)
    text = text_of(html_).replace(" :", ":").replace(" ,", ",")
    for sentence in SENTENCES[language]:
        assert sentence in text, sentence
    for wrong in WRONG:
        assert wrong not in text, wrong
    # the script's texts, in data attributes, say the same in the same words
    box = re.search(r'<div class="extranet-support"[^>]*>', html_)[0]
    attrs = {k: html.unescape(v) for k, v in re.findall(r'data-([a-z-]+)="([^"]*)"', box)}
    assert attrs["locale"] == {"cs": "cs", "en": "en-GB"}[language]
    assert attrs["text-zone"] == {"cs": "pražského času", "en": "Prague time"}[language]
    assert attrs["text-skipped"] == {
        "cs": "Tento čas v pražském čase neexistuje: hodiny se ten den posouvají o hodinu dopředu. Zadejte jiný čas.",
        "en": "This time does not exist in Prague time: the clocks go forward an hour that day. Please enter "
              "another time."}[language]


def test_the_exported_calendar_lists_closed_days_for_the_browser(demo_site: Path):
    data = json.loads((demo_site / "support/enterprise/calendar.json").read_text(encoding="utf-8"))
    assert (data["timezone"], data["opens"], data["closes"], data["from"], data["until"], data["weekend"]) == (
        "Europe/Prague", "08:00", "16:00", "2025-01-01", "2028-12-31", [6, 7])
    assert data["closed"]["2028-04-14"] == {"cs": "Velký pátek", "en": "Good Friday"}
    assert data["closed"]["2026-12-24"] == {"cs": "Štědrý den", "en": "Christmas Eve"}
    assert "2026-12-30" not in data["closed"] and "2026-12-31" not in data["closed"]
    assert "2026-12-26" not in data["closed"]  # a Saturday: closed as a weekend day
    assert data["workdays"] == []  # Czechia has no weekend working days
    # every official release from 2025 on, published or planned, in date order
    assert data["releases"][0] == {"version": "6.0.0", "date": "2025-01-20", "published": True}
    assert data["releases"][-3:] == [{"version": "9.3.0", "date": "2026-11-09", "published": True},
                                     {"version": "9.4.0", "date": "2026-12-14", "published": False},
                                     {"version": "10.0.0", "date": "2027-02-15", "published": False}]
    common = next(s for s in data["severities"] if s["id"] == "common")
    assert common["channels"]["phone"] == {"deadline": {"kind": "next_business_day", "days": 0},
                                           "target": {"kind": "immediate", "days": 0}}
    assert common["channels"]["email"] == {"deadline": {"kind": "next_business_day", "days": 0}, "target": None}


@pytest.mark.parametrize(("path", "summary"), [("support/enterprise/support-calendar.ics", "Technická podpora zavřena: "),
                                               ("en/support/enterprise/support-calendar.ics", "Technical support closed: ")])
def test_ics_parses_and_lists_the_closed_days(demo_site: Path, path: str, summary: str):
    raw = (demo_site / path).read_bytes()
    assert raw.endswith(b"\r\n") and b"\n" not in raw.replace(b"\r\n", b"")
    assert all(len(line) <= 75 for line in raw.split(b"\r\n"))
    parsed = icalendar.Calendar.from_ical(raw)
    assert parsed["VERSION"] == "2.0" and parsed["PRODID"]
    events = parsed.walk("VEVENT")
    days = [event.decoded("DTSTART") for event in events]
    assert all(type(day) is dt.date for day in days)
    assert all(event.decoded("DTEND") == event.decoded("DTSTART") + dt.timedelta(days=1) for event in events)
    assert len({str(event["UID"]) for event in events}) == len(events)
    assert {event.decoded("DTSTAMP") for event in events} == {dt.datetime(2026, 11, 23, 11, 0, tzinfo=dt.timezone.utc)}
    assert all(str(event["SUMMARY"]).startswith(summary) for event in events)
    assert [day.isoformat() for day in days if day.year == 2026] == [
        "2026-01-01", "2026-04-03", "2026-04-06", "2026-05-01", "2026-05-08", "2026-07-06", "2026-09-28",
        "2026-10-28", "2026-11-17", "2026-12-24", "2026-12-25"]
    assert (min(days).year, max(days).year) == (2025, 2028)
    assert str(next(e for e in events if e.decoded("DTSTART") == dt.date(2026, 12, 24))["UID"]) == \
        "20261224-enterprise-closed@www.anneca.cz"


def test_the_calendar_files_are_public_and_listed_exactly(demo_site: Path):
    areas = json.loads((demo_site.parent / "server/access.json").read_text(encoding="utf-8"))["areas"]
    public = {area["path"] for area in areas if area["audience"] == "public" and not area["prefix"]}
    assert {"support/enterprise/calendar.json", "support/enterprise/support-calendar.ics",
            "en/support/enterprise/support-calendar.ics"} <= public


@pytest.mark.parametrize(("path", "labels"), [
    ("customers/strojirny-labe/index.html", ("IČ", "Jméno a příjmení", "Připravit e-mail")),
    ("en/customers/strojirny-labe/index.html", ("Company ID", "Your full name", "Compose the e-mail")),
])
def test_the_report_form_carries_every_identification_field(demo_site: Path, path: str, labels: tuple[str, ...]):
    page = article(demo_site, path)
    form = page[page.index('<form class="extranet-report"'):]
    form = form[:form.index("</form>")]
    for label in labels:
        assert label in form
    assert 'name="company_id" value="36828840" readonly' in form
    assert 'name="company_name" value="Strojírny Labe a.s." readonly' in form
    assert 'name="version" value="4.3.0" required' in form
    assert '<option value="Jana Dvořáková"><option value="Martin Procházka">' in form
    assert '<option value="serious" data-mail="Závažný problém">' in form
    href = html.unescape(re.search(r'class="md-button md-button--primary extranet-mailto" href="([^"]+)"', form)[1])
    address, _, query = href.removeprefix("mailto:").partition("?")
    fields = urllib.parse.parse_qs(query)
    assert address == "support@intouch-crm.cz"
    # the e-mail is in Czech on both languages' pages: support is given in Czech only
    assert fields["subject"] == ["Technická podpora: , Strojírny Labe a.s. (IČ 36828840)"]
    assert fields["body"][0].split("\r\n") == [
        "IČ: 36828840", "Název společnosti: Strojírny Labe a.s.", "Jméno a příjmení: ", "Verze programu: 4.3.0",
        "Závažnost: ", "", "Popis problému:", ""]


@pytest.mark.parametrize(("path", "expected"), [
    ("customers/strojirny-labe/index.html", [
        "Telefon : +420 478 571 021 , v pracovní dny od 08:00 do 16:00", "E-mail : support@intouch-crm.cz , kdykoliv",
        "Technická pomoc se poskytuje výhradně v českém jazyce.", "Nefunguje export nástěnky do PDF.",
        "Součástí technické podpory například nejsou: Servisní zásahy u nabyvatele", "Analytické práce",
        "24. prosince 2026: Štědrý den", "Kdy dostanete odpověď", "Nahlásit problém"]),
    ("en/customers/strojirny-labe/index.html", [
        "Phone : +420 478 571 021 , on business days from 08:00 to 16:00", "Technical support is provided "
        "exclusively in Czech.", "Exporting a dashboard to PDF does not work.",
        "Technical support for example does not include: Servicing on the customer's premises", "Analytic work",
        "24 December 2026: Christmas Eve", "When you will get an answer", "Report a problem"]),
])
def test_a_customers_support_section_has_the_same_terms_calendar_and_calculator(demo_site: Path, path: str,
                                                                                  expected: list[str]):
    page = article(demo_site, path)
    text = text_of(page)
    for item in expected:
        assert item in text, item
    assert page.count('class="extranet-status"') == 2
    assert 'data-calendar="../../support/enterprise/calendar.json"' in page or \
        'data-calendar="../../../support/enterprise/calendar.json"' in page


# --- the in-page calculator (the page's own script, run in node) agrees with the command --------

SCRIPT = REPO / "site_templates/theme/assets/javascripts/extranet-support.js"
NODE_RUNNER = """
const {Calendar, evaluate, answer} = require(process.argv[1]);
const input = JSON.parse(require("fs").readFileSync(0, "utf-8"));
const cal = new Calendar(input.calendar);
const box = {dataset: input.dataset};
function iso(result) {
  if (result === null) return null;
  if (result.at !== undefined) return cal.iso(result.at);
  return result.release ? result.release.date : null;
}
console.log(JSON.stringify(input.cases.map(([severity, channel, reported]) => {
  const r = evaluate(cal, severity, channel, reported);
  const shown = answer(box, cal, severity, channel, reported);
  return r.error ? {error: r.error, text: shown.text}
    : {deadline: iso(r.deadline), target: r.target ? iso(r.target) : null,
       release: r.deadline.release ? r.deadline.release.version : null, text: shown.text};
})));
"""


def run_calculator(site: Path, cases: list[tuple[str, str, str]], page: str = "support/index.html",
                   plan: str = "enterprise") -> list[dict]:
    """The calculator's answers for `cases`, computed by the page's script on the page's calendar.json
    and texts (the data attributes of `page`), in node (no browser needed for the arithmetic)."""
    import shutil
    import subprocess

    node = shutil.which("node")
    assert node, "node is not installed (it comes with the npm tools of `make .venv/.test`)"
    box = re.search(r'<div class="extranet-support"[^>]*>', (site / page).read_text(encoding="utf-8"))[0]
    dataset = {re.sub(r"-([a-z])", lambda m: m[1].upper(), key): html.unescape(value)
               for key, value in re.findall(r'data-([a-z-]+)="([^"]*)"', box)}
    data = json.loads((site / f"support/{plan}/calendar.json").read_text(encoding="utf-8"))
    done = subprocess.run([node, "-e", NODE_RUNNER, str(SCRIPT)], check=True, capture_output=True, text=True,
                          input=json.dumps({"calendar": data, "dataset": dataset, "cases": cases}))
    return json.loads(done.stdout)


def command(severity: str, channel: str, reported: str, capsys) -> dict:
    code = main([*SLA, "--severity", severity, "--channel", channel, "--reported", reported, "--json"])
    out, err = capsys.readouterr()
    if code:
        return {"error": err}
    answer = json.loads(out)
    return {"deadline": answer["deadline"], "target": answer["target"]["deadline"] if answer["target"] else None,
            "release": answer["release"]["version"] if answer["release"] else None}


COMBOS = [(severity.id, channel.id) for severity in PLAN.severities for channel in PLAN.channels]
EDGE_REPORTS = [
    "2026-12-29T10:00",  # a common question on 29 December: 30 December, no company holiday
    "2026-12-23T15:00", "2026-12-23T17:30", "2026-12-31T16:30", "2027-01-01T09:00",
    "2026-02-15T10:00",  # a cosmetic defect in February: 8.1.0 of 2 March, not 9.4.0
    "2026-11-23T12:00", "2027-02-15T09:00", "2027-03-01T12:00",  # 9.4.0 planned; none planned yet
    "2026-03-27T17:00", "2026-03-29T01:59", "2026-03-29T03:00", "2026-10-25T01:59", "2026-10-25T03:00",
    "2026-04-02T16:30", "2026-07-03T18:00", "2027-07-02T16:00", "2026-11-16T12:00", "2026-09-25T16:05",
    "2026-03-29T02:00", "2026-03-29T02:30", "2026-03-29T02:59",  # do not exist in Prague
    "2026-10-25T02:00", "2026-10-25T02:30", "2026-10-25T02:59",  # occur twice in Prague
    "2029-01-02T10:00", "2024-12-31T23:59",  # outside the calendar's years
    "2028-12-29T17:00", "2028-12-22T10:00",  # inside, but the deadline would need 2029
    "2025-01-01T00:00", "2028-12-31T23:59",  # the calendar's first and last minute
]


@pytest.mark.node
def test_the_calculator_and_the_command_agree_on_every_edge_case(demo_site: Path, capsys):
    cases = [(severity, channel, reported) for reported in EDGE_REPORTS for severity, channel in COMBOS]
    page = run_calculator(demo_site, cases)
    errors = {"skipped": "does not exist in Europe/Prague", "repeated": "happens twice in Europe/Prague",
              "range": "the support calendar covers 2025-01-01 to 2028-12-31 only"}
    for case, shown in zip(cases, page, strict=True):
        expected = command(*case, capsys)
        if "error" in expected or "error" in shown:
            assert "error" in shown and "error" in expected, (case, shown, expected)
            assert errors[shown["error"]] in expected["error"], (case, shown, expected)
        else:
            assert {key: shown[key] for key in expected} == expected, case
    assert {shown.get("error") for shown in page} == {None, "skipped", "repeated", "range"}
    assert [shown.get("error") for shown in page[:len(COMBOS)]] == [None] * len(COMBOS)


@pytest.mark.node
@settings(max_examples=10, deadline=None)
@given(st.lists(st.datetimes(min_value=dt.datetime(2024, 12, 25), max_value=dt.datetime(2029, 1, 7)),
                min_size=150, max_size=150))
def test_the_calculator_agrees_with_the_calendar_on_random_reports(demo_site: Path, reports: list[dt.datetime]):
    """Thousands of wall-clock times, each for every severity and channel (the command's own code path:
    `resolve`, then `deadline` with every release)."""
    cal = support_calendar.calendar(PLAN.calendar, dt.datetime.fromisoformat(NOW))
    cases = [(severity, channel, f"{report:%Y-%m-%dT%H:%M}") for report in reports for severity, channel in COMBOS]
    for (severity_id, channel, reported), shown in zip(cases, run_calculator(demo_site, cases), strict=True):
        response = next(s for s in PLAN.severities if s.id == severity_id).response_on(channel)
        try:
            local = cal.resolve(dt.datetime.fromisoformat(reported))
            due = support_calendar.deadline(cal, response.deadline, local, RELEASES)
            target = support_calendar.deadline(cal, response.target, local, RELEASES) if response.target else None
        except support_calendar.OutOfRange:
            assert shown.get("error") == "range", reported
            continue
        except support_calendar.Skipped:
            assert shown.get("error") == "skipped", reported
            continue
        except support_calendar.Repeated:
            assert shown.get("error") == "repeated", reported
            continue
        expected = due.at.isoformat() if due.at else (due.release.date.isoformat() if due.release else None)
        assert shown.get("deadline") == expected, (severity_id, channel, reported)
        assert shown.get("target") == (target.at.isoformat() if target and target.at else None), reported


@pytest.mark.node
@pytest.mark.parametrize(("page", "severity", "channel", "reported", "text"), [
    ("support/index.html", "common", "phone", "2026-12-29T10:00",
     "Ihned: úterý 29. prosince 2026 v 10:00 pražského času; "
     "Nejpozději: středa 30. prosince 2026 v 16:00 pražského času"),
    ("en/support/index.html", "common", "email", "2026-12-29T10:00",
     "At the latest: Wednesday, 30 December 2026 at 16:00 Prague time"),
    ("support/index.html", "cosmetic", "email", "2026-02-15T10:00", "Oprava: v aktualizaci 8.1.0 vydané 2. března 2026"),
    ("en/support/index.html", "cosmetic", "email", "2026-11-23T12:00",
     "Fix: in release 9.4.0, planned for 14 December 2026"),
    ("support/index.html", "cosmetic", "phone", "2027-03-01T12:00",
     "Oprava: v nejbližší možné oficiální aktualizaci; žádná zatím není naplánována"),
    ("support/index.html", "serious", "phone", "2026-03-29T02:30",
     "Tento čas v pražském čase neexistuje: hodiny se ten den posouvají o hodinu dopředu. Zadejte jiný čas."),
    ("en/support/index.html", "serious", "phone", "2026-10-25T02:30",
     "This time occurs twice in Prague time: the clocks go back an hour that day. Please enter another time."),
    ("support/index.html", "serious", "email", "2029-01-02T10:00",
     "Kalendář podpory pokrývá jen období od 1. ledna 2025 do 31. prosince 2028; pro jiný čas lhůtu nespočítáme."),
    ("en/support/index.html", "serious", "email", "2029-01-02T10:00",
     "The support calendar covers 1 January 2025 to 31 December 2028 only; no deadline is computed for other times."),
])
def test_the_calculator_says_it_in_words(demo_site: Path, page: str, severity: str, channel: str, reported: str,
                                          text: str):
    assert run_calculator(demo_site, [(severity, channel, reported)], page)[0]["text"] == text


# --- working days from the `holidays` package --------------------------------------------------

def test_working_days_come_from_the_holidays_package_so_weekend_working_days_count():
    """Hungary works on some Saturdays (3 August 2024 for the bridge day of 19 August): the `holidays`
    package's working-day API says so, and the calendar follows it."""
    from extranet.model import SupportCalendar

    hungary = support_calendar.calendar(SupportCalendar(country="HU", timezone="Europe/Budapest", opens=dt.time(8),
                                                closes=dt.time(16)))
    assert hungary.is_business_day(dt.date(2024, 8, 3))       # a Saturday working day
    assert not hungary.is_business_day(dt.date(2024, 8, 10))  # an ordinary Saturday
    assert not hungary.is_business_day(dt.date(2024, 8, 19))  # the Monday it bridges
    friday = dt.datetime(2024, 8, 2, 10, 0, tzinfo=hungary.zone)
    assert support_calendar.deadline(hungary, rule("next_business_day"), friday).at.isoformat() == "2024-08-03T16:00:00+02:00"
    assert support_calendar.deadline(hungary, rule("business_days:2"), friday).at.isoformat() == "2024-08-05T16:00:00+02:00"
    assert support_calendar.deadline(hungary, rule("immediate"), dt.datetime(2024, 8, 3, 7, 0, tzinfo=hungary.zone)
                             ).at.isoformat() == "2024-08-03T08:00:00+02:00"
    assert [day.isoformat() for day in hungary.weekend_workdays(dt.date(2024, 1, 1), dt.date(2024, 12, 31))] == [
        "2024-08-03", "2024-12-07", "2024-12-14"]


# --- "přibližně šest": a range, shown per year against the promise ------------------------------

@pytest.mark.parametrize(("path", "expected"), [
    ("releases/timeline/index.html", [
        "Každý rok vydáváme nejméně 2 verze s rozsáhlejším vylepšením a přibližně 6 verzí s drobnějším "
        "vylepšením. „Přibližně 6“ znamená 5 až 7 verzí s drobnějším vylepšením za rok.",
        "Rok Větší Menší Opravy Slib 2026 2 (slib: nejméně 2) 6 (slib: 5 až 7) 2 splněno "
        "2025 2 (slib: nejméně 2) 6 (slib: 5 až 7) 2 splněno 2024 2 (slib: nejméně 2) 6 (slib: 5 až 7) 2 splněno"]),
    ("en/releases/timeline/index.html", [
        "“Approximately 6” means 5 to 7 versions with smaller enhancement a year.",
        "Year Major Minor Patches Promise 2026 2 (promise: at least 2) 6 (promise: 5 to 7) 2 kept"]),
])
def test_the_timeline_shows_each_year_against_the_promised_range(demo_site: Path, path: str, expected: list[str]):
    text = text_of(article(demo_site, path))
    for item in expected:
        assert item in text, item


# --- a customer's support state shapes its page and its downloads ------------------------------

from extranet import entitlements  # noqa: E402
from extranet.entitlements import Reason, SupportState  # noqa: E402


def demo_customer(customer_id: str, **changes):
    import dataclasses

    return dataclasses.replace(next(c for c in DEMO.customers if c.id == customer_id), **changes)


def downloadable_versions(customer, today: dt.date) -> list[str]:
    result = entitlements.entitlement(DEMO.vendor, customer, DEMO.releases, today)
    return [entry.release.version for entry in result.releases if entry.downloadable]


def test_support_not_started_downloads_nothing_not_even_releases_published_before_it():
    """The README's rule: downloads come with support, from its first day."""
    newcomer = demo_customer("pekarny-podripsko", support_from=dt.date(2026, 12, 1), support_until=dt.date(2029, 11, 30))
    before, first_day = dt.date(2026, 11, 30), dt.date(2026, 12, 1)
    assert entitlements.support_state(newcomer, before) is SupportState.NOT_STARTED
    result = entitlements.entitlement(DEMO.vendor, newcomer, DEMO.releases, before)
    assert result.latest is None and result.kept == () and result.missed == ()
    nine_three = result.of(next(r for r in DEMO.releases if r.version == "9.3.0"))  # published 9 November 2026
    assert nine_three.downloadable == ()
    assert all(w.reasons[0] is Reason.SUPPORT_NOT_STARTED for w in nine_three.withheld)
    assert {w.artifact.id for w in nine_three.withheld} == {a.id for a in nine_three.release.artifacts}
    # from the first day: everything released so far, releases before the start included
    assert entitlements.support_state(newcomer, first_day) is SupportState.ACTIVE
    assert downloadable_versions(newcomer, first_day)[-1] == "9.3.0"
    assert downloadable_versions(newcomer, first_day)[0] == "4.0.0"


def test_support_ended_keeps_the_releases_up_to_its_end():
    ended = demo_customer("teplo-servis")  # support until 30 April 2025
    today = dt.date(2026, 11, 23)
    result = entitlements.entitlement(DEMO.vendor, ended, DEMO.releases, today)
    assert result.state is SupportState.ENDED
    assert result.kept[-1].version == "6.2.0" and result.latest.version == "6.2.0"
    assert result.missed[0].version == "6.3.0"
    assert downloadable_versions(ended, today)[-1] == "6.2.0"
    withheld = result.of(next(r for r in DEMO.releases if r.version == "6.3.0")).withheld
    assert {w.reasons for w in withheld} >= {(Reason.SUPPORT_ENDED,)}
    # on its last day support is still active, the day after it is not
    assert entitlements.support_state(ended, dt.date(2025, 4, 30)) is SupportState.ACTIVE
    assert entitlements.support_state(ended, dt.date(2025, 5, 1)) is SupportState.ENDED


ENDED_PAGE = {
    "cs": "Technická podpora ¶ Vaše technická podpora skončila 30. dubna 2025. Technickou pomoc po telefonu ani "
          "e-mailem a nové verze už nemáte k dispozici. Stáhnout si můžete dál verze vydané do 30. dubna 2025; "
          "nejnovější z nich je 6.2.0 z 22. dubna 2025 (viz Ke stažení ). Podporu obnovíte u společnosti ANNECA "
          "s.r.o.: telefon +420 478 571 021 , e-mail sales@anneca.cz . Specifikace technické podpory",
    "en": "Technical support ¶ Your technical support ended on 30 April 2025. Technical assistance by phone or e-mail "
          "and new releases are no longer available to you. You may still download the releases that came out up "
          "to 30 April 2025; the latest of them is 6.2.0, released on 22 April 2025 (see Downloads ). To renew "
          "support, contact ANNECA s.r.o.: phone +420 478 571 021 , e-mail sales@anneca.cz . Specification of "
          "technical support",
}


@pytest.mark.parametrize("language", ["cs", "en"])
def test_ended_support_says_so_with_what_remains_and_how_to_renew(demo_site: Path, language: str):
    path = ("" if language == "cs" else "en/") + "customers/teplo-servis/index.html"
    page = article(demo_site, path)
    assert ENDED_PAGE[language] in text_of(page)
    # nothing is offered as if support were running
    for offered in ("extranet-report", "extranet-deadline", 'class="extranet-support"', "extranet-support.js",
                    "extranet-status", "tel:+420478571021\" ", "support@intouch-crm.cz"):
        assert offered not in page, offered
    assert 'href="tel:+420478571021"' in page and 'href="mailto:sales@anneca.cz"' in page


def test_active_support_offers_the_terms_calculator_and_report_form(demo_site: Path):
    page = article(demo_site, "customers/strojirny-labe/index.html")
    for offered in ('<form class="extranet-report"', '<div class="extranet-support"', "extranet-support.js",
                    "support@intouch-crm.cz"):
        assert offered in page, offered
    # md_in_html (the collapsed support block) writes the attribute out in full
    assert re.search(r'<form class="extranet-deadline" hidden(="hidden")?>', page)
    assert "Vaše technická podpora skončila" not in page and "začíná" not in text_of(page)


def test_support_not_started_says_when_it_starts_and_offers_no_downloads(project, tmp_path: Path):
    from extranet.building import build

    from .conftest import NOW_DT

    project.replace("customers.yaml", "    support_from: 2020-01-01\n    support_until: 2030-12-31",
                    "    support_from: 2026-12-01\n    support_until: 2030-12-31")
    build(project.config, now=NOW_DT, output=tmp_path / "out")
    site = tmp_path / "out/site"
    for path, starts, reason, header in (
            ("customers/alpha/index.html",
             "Vaše technická podpora začíná 1. prosince 2026. Od tohoto dne se můžete obracet na technickou pomoc a "
             "stahovat instalační soubory; do té doby nejsou k dispozici.", "podpora dosud nezačala",
             "od 1. prosince 2026 do 31. prosince 2030 (dosud nezačala)"),
            ("en/customers/alpha/index.html",
             "Your technical support starts on 1 December 2026. From that day you can contact technical assistance "
             "and download the installation files; until then they are not available.",
             "your support has not started yet", "from 1 December 2026 to 31 December 2030 (not yet started)")):
        page = article(site, path)
        text = text_of(page)
        assert starts in text and reason in text and header in text, path
        assert " download=" not in page  # not one download link, though 1.0.0-2.0.0 were released before
        for offered in ("extranet-report", "extranet-deadline", "extranet-status"):
            assert offered not in page, offered


# --- what the terms offer beyond support: the public home and the certified specialists -----------

HOME = {
    "cs": [
        "Co dalšího nabízíme ¶ Vzdělávací materiály ¶ Chceme, aby Vaši zaměstnanci pracovali s InTouch CRM "
        "maximálně efektivně, a proto nabízíme a budeme nabízet na internetu dostatek vzdělávacích materiálů. "
        "Návody najdete po přihlášení. Instalace InTouch CRM Aktualizace na novější verzi Zálohování",
        "Školení ve Vaší společnosti ¶ Pro Vaše zaměstnance připravíme školení v sídle Vaší společnosti. Program "
        "tohoto školení je možné po vzájemné dohodě upravit. Školení objednáte u nás (program s Vámi předem "
        "dohodneme): telefon +420 478 571 021 , e-mail sales@anneca.cz .",
        "Certifikovaní specialisté ¶ Vítáme IT profesionály, kteří chtějí investovat svůj čas podpoře systému "
        "InTouch CRM, a zdarma zveřejňujeme kontakt na ty prověřené specialisty, kteří prokázali dostatečné "
        "znalosti.", "Seznam certifikovaných specialistů",
        "Diskusní fórum uživatelů ¶ Velmi často bývají nejlepším zdrojem zkušenosti jiných uživatelů systému. "
        "Proto Vám doporučujeme využít diskusní fórum uživatelů InTouch CRM. Umístěte zde svůj dotaz a nebo "
        "zkušenosti. Přejít do diskusního fóra",
        "Otevřené technologie a standardy ¶ Aby Váš podnik nezávisel jen na nás, používáme při vývoji InTouch CRM "
        "otevřené technologie a standardy, například: PostgreSQL IMAP SMTP CSV XLSX (Office Open XML) REST API"],
    "en": [
        "What else we offer ¶ Learning materials ¶ We want your employees to work with InTouch CRM as efficiently "
        "as possible", "Installing InTouch CRM Upgrading to a newer version Backup",
        "Training at your company ¶ We prepare training for your employees at your company's premises. Its "
        "programme can be adjusted by mutual agreement. Order the training from us (we agree its programme with "
        "you beforehand): phone +420 478 571 021 , e-mail sales@anneca.cz .",
        "Certified specialists ¶ We welcome IT professionals", "The list of certified specialists",
        "Users' discussion forum ¶ Other users' experience is very often the best source.",
        "Open technologies and standards ¶ So that your business does not depend on us alone, we develop InTouch "
        "CRM with open technologies and standards, for example: PostgreSQL IMAP SMTP CSV XLSX (Office Open XML) REST API"],
}


@pytest.mark.parametrize("language", ["cs", "en"])
def test_the_public_home_presents_what_the_terms_offer(demo_site: Path, language: str):
    prefix = "" if language == "cs" else "en/"
    page = article(demo_site, prefix + "index.html")
    text = text_of(page)
    for item in HOME[language]:
        assert item in text, item
    assert 'href="https://www.anneca.cz/forum/"' in page
    assert 'href="specialists/"' in page
    assert 'href="guides/installation/"' in page and 'href="guides/backup/"' in page
    assert 'href="mailto:sales@anneca.cz"' in page


SPECIALISTS = {
    "cs": "Certifikovaní specialisté ¶ Vítáme IT profesionály, kteří chtějí investovat svůj čas podpoře systému "
          "InTouch CRM, a zdarma zveřejňujeme kontakt na ty prověřené specialisty, kteří prokázali dostatečné "
          "znalosti. Chceme, aby Váš podnik nezávisel pouze na nás, ale měli jste možnost využít celou skupinu "
          "odborníků. Jan Ukázka (demo) ¶ Společnost: Ukázková IT s.r.o. (demo) (IČ 12345679) Region: Ústecký kraj "
          "Kontakt: jan.ukazka@example.cz , +420 475 000 001 Prokázané znalosti: Instalace a aktualizace InTouch "
          "CRM; Integrace s MS Excel Marie Vzorová (demo) ¶ Společnost: Vzorové systémy s.r.o. (demo) "
          "(IČ 23456787) Region: Liberecký kraj Kontakt: marie.vzorova@example.cz , +420 485 000 001 Prokázané "
          "znalosti: Správa databáze PostgreSQL; Propojení s poštovním serverem (IMAP, SMTP)",
    "en": "Jan Ukázka (demo) ¶ Company: Ukázková IT s.r.o. (demo) (Company ID 12345679) Region: Ústí nad Labem "
          "Region Contact: jan.ukazka@example.cz , +420 475 000 001 Proven knowledge: Installing and upgrading "
          "InTouch CRM; MS Excel integration",
}


@pytest.mark.parametrize("language", ["cs", "en"])
def test_the_certified_specialists_page_is_public_and_without_the_vetting_dates(demo_site: Path, language: str):
    prefix = "" if language == "cs" else "en/"
    page = article(demo_site, prefix + "specialists/index.html")
    assert SPECIALISTS[language] in text_of(page)
    assert 'href="mailto:jan.ukazka@example.cz"' in page and 'href="tel:+420475000001"' in page
    for vetted in ("16. března 2026", "16 March 2026", "2026-03-16", "7. září 2026", "7 September 2026", "2026-09-07"):
        assert vetted not in page
    index = json.dumps(json.loads((demo_site / "search/search_index.json").read_text(encoding="utf-8")),
                       ensure_ascii=False)
    assert "Jan Ukázka" in index and "2026-03-16" not in index and "16. března 2026" not in index
    areas = json.loads((demo_site.parent / "server/access.json").read_text(encoding="utf-8"))["areas"]
    public = {area["path"] for area in areas if area["audience"] == "public" and not area["prefix"]}
    assert {"specialists/", "en/specialists/"} <= public
    staff = {area["path"] for area in areas if area["audience"] == "staff"}
    assert "staff/" in staff


@pytest.mark.parametrize(("path", "row"), [
    ("staff/specialists/index.html", "Jan Ukázka (demo) Ukázková IT s.r.o. (demo) 12345679 16. března 2026 "
                                     "Instalace a aktualizace InTouch CRM; Integrace s MS Excel"),
    ("en/staff/specialists/index.html", "Marie Vzorová (demo) Vzorové systémy s.r.o. (demo) 23456787 "
                                        "7 September 2026 PostgreSQL database administration"),
])
def test_staff_see_when_each_specialist_was_vetted(demo_site: Path, path: str, row: str):
    assert row in text_of(article(demo_site, path))
    areas = json.loads((demo_site.parent / "server/access.json").read_text(encoding="utf-8"))["areas"]
    from extranet.access import Area, area_of

    rules = [Area(a["path"], a["audience"], a["customer"], a["prefix"]) for a in areas]
    assert area_of(path, rules).audience == "staff"
    assert "specialists/" in text_of(article(demo_site, path.replace("specialists/", ""))) or \
        'href="specialists/"' in article(demo_site, path.replace("specialists/", ""))


SPECIALIST = """\
  specialists:
    - name: Eva Test
      company: Test s.r.o.
      company_id: "27074358"
      region: {cs: Praha, en: Prague}
      email: eva@test.example
      phone: "+420 475 000 001"
      areas:
        - {cs: Instalace, en: Installation}
      vetted: 2026-01-05
plans:
"""

# (old, new, exact message): a specialist is validated like a customer.
SPECIALIST_CASES = [
    ('company_id: "27074358"\n      region', 'company_id: "27074359"\n      region',
     "customers.yaml:20:19: vendor.specialists[0].company_id: '27074359' is not a valid IČO (check digit)"),
    ('company_id: "27074358"\n      region', 'company_id: "2707435"\n      region',
     "customers.yaml:20:19: vendor.specialists[0].company_id: '2707435' is not a valid IČO (expected 8 digits)"),
    ("email: eva@test.example", "email: eva(at)test.example",
     "customers.yaml:22:14: vendor.specialists[0].email: 'eva(at)test.example' is not an e-mail address"),
    ('phone: "+420 475 000 001"', 'phone: "475 000 001"',
     "customers.yaml:23:14: vendor.specialists[0].phone: '475 000 001' is not a phone number (expected the "
     "international format, e.g. '+420 478 571 021')"),
    ('phone: "+420 475 000 001"', 'phone: "+420 475 0001"',
     "customers.yaml:23:14: vendor.specialists[0].phone: '+420 475 0001' is not a phone number (expected the "
     "international format, e.g. '+420 478 571 021')"),
    ("region: {cs: Praha, en: Prague}", "region: {cs: Praha}",
     "customers.yaml:21:15: vendor.specialists[0].region: missing text in en (every text needs cs, en)"),
    ("      areas:\n        - {cs: Instalace, en: Installation}\n", "      areas: []\n",
     "customers.yaml:24:14: vendor.specialists[0].areas: expected at least 1 item(s), found 0"),
    ("      vetted: 2026-01-05\n", "",
     "customers.yaml:18:7: vendor.specialists[0].vetted: required key is missing"),
]


@pytest.mark.parametrize(("old", "new", "message"), SPECIALIST_CASES)
def test_a_specialist_is_validated_like_a_customer(project, old: str, new: str, message: str):
    from extranet.building import validate
    from extranet.loading import InvalidInput

    project.replace("customers.yaml", "plans:\n", SPECIALIST)
    validate(project.config)  # the block itself is valid
    project.replace("customers.yaml", old, new)
    with pytest.raises(InvalidInput) as caught:
        validate(project.config)
    assert [str(problem) for problem in caught.value.problems] == [message]


def test_a_guide_presented_on_the_home_page_must_exist(project):
    from extranet.building import validate
    from extranet.loading import InvalidInput

    project.replace("customers.yaml", "plans:\n", """\
  offers:
    learning:
      text: {cs: Návody, en: Guides}
      guides:
        - {page: guides/install.md, title: {cs: Instalace, en: Installation}}
        - {page: guides/missing.md, title: {cs: Chybí, en: Missing}}
plans:
""")
    with pytest.raises(InvalidInput) as caught:
        validate(project.config)
    assert [str(problem) for problem in caught.value.problems] == [
        "customers.yaml:22:18: vendor.offers.learning.guides[1].page: 'guides/missing.md' is not a page of content/cs/",
        "customers.yaml:22:18: vendor.offers.learning.guides[1].page: 'guides/missing.md' is not a page of content/en/"]


@pytest.mark.node
def test_a_plan_in_a_country_with_weekend_working_days_lists_them(project, tmp_path: Path):
    """Hungary's bridging Saturdays are business days: the page says so beside "Monday to Friday", and the
    page's calendar.json carries them for the calculator."""
    from extranet.building import build

    project.replace("customers.yaml", "calendar: {country: CZ, timezone: Europe/Prague,",
                    "calendar: {country: HU, timezone: Europe/Budapest,")
    build(project.config, now=dt.datetime(2025, 11, 23, 12, tzinfo=dt.timezone.utc), output=tmp_path / "out")
    site = tmp_path / "out/site"
    text = text_of(article(site, "support/index.html"))
    assert ("V příštích 12 měsících jsou pracovními dny také tyto dny víkendu: 13. prosince 2025 10. ledna 2026 "
            "8. srpna 2026") in text
    assert ("In the next 12 months these weekend days are business days too: 13 December 2025 10 January 2026 "
            "8 August 2026") in text_of(article(site, "en/support/index.html"))
    data = json.loads((site / "support/basic/calendar.json").read_text(encoding="utf-8"))
    assert {"2024-08-03", "2026-08-08"} <= set(data["workdays"])
    result = run_calculator(site, [("common", "email", "2026-08-07T10:00")], plan="basic")[0]
    assert result["deadline"] == "2026-08-08T16:00:00+02:00"  # Friday's question: Saturday is a working day


@pytest.mark.parametrize(("path", "expected"), [
    ("customers/jizera-plast/index.html", [
        "Podpora začne 1. ledna 2027 potrvá do 31. prosince 2029",
        "Období podpory od 1. ledna 2027 do 31. prosince 2029 (dosud nezačala)",
        "Technická podpora ¶ Vaše technická podpora začíná 1. ledna 2027. Od tohoto dne se můžete obracet na "
        "technickou pomoc a stahovat instalační soubory; do té doby nejsou k dispozici. Specifikace technické "
        "podpory", "intouch-crm-9.3.0-linux-x64.tar.gz : podpora dosud nezačala"]),
    ("en/customers/jizera-plast/index.html", [
        "Support starts 1 January 2027 runs until 31 December 2029",
        "Support period from 1 January 2027 to 31 December 2029 (not yet started)",
        "Technical support ¶ Your technical support starts on 1 January 2027. From that day you can contact "
        "technical assistance and download the installation files; until then they are not available.",
        "intouch-crm-9.3.0-linux-x64.tar.gz : your support has not started yet"]),
])
def test_the_demo_customer_whose_support_starts_in_january(demo_site: Path, path: str, expected: list[str]):
    page = article(demo_site, path)
    text = text_of(page)
    for item in expected:
        assert item in text, item
    assert "/downloads/" not in page  # 9.3.0 was published on 9 November 2026, before support starts
    for offered in ("extranet-report", "extranet-deadline", "extranet-status"):
        assert offered not in page, offered
