"""The support calendar: business days, opening times and response deadlines of a plan.

The one place that decides them. The CLI (`extranet sla deadline`), the pages, the exported
calendar the browser reads (`export`) and the iCalendar file (`ics`) all ask this module, so a
customer sees the same deadline wherever they look. The browser never decides a holiday: it gets
the closed days computed here.

A business day is a working day of the plan's country, as the `holidays` package's own working-day
API decides it (`is_working_day`: weekends and public holidays are off, and a country's weekend
working days, such as Hungary's bridging Saturdays, are on), that is not one of the plan's
`closed_days` (company holidays, for vendors who publish them). Reimplementing the weekend rule
here was rejected: it got weekend working days wrong.

Times are wall-clock times in the plan's time zone; a report is first converted to that zone, so
a report at 23:30 UTC on a Sunday in winter is a report made on Monday in Prague.

One rule for the command and the page's script (see `resolve` and `OutOfRange`):
- a wall-clock time without an offset that the zone skips (spring forward) or has twice (fall back)
  is refused, never guessed;
- the calendar covers whole years, from the year before `now` to two years after it
  (`export_years`); a report, or any day a deadline has to look at, outside them is refused
  ("the calendar covers ... only"), because the holidays of those years are not published with
  the page and could change.

Named `support_calendar`, not `calendar`: a module `extranet/calendar.py` shadowed the standard
library's `calendar` for anything run from inside the package directory, and said less.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import json
import zoneinfo
from collections.abc import Iterator, Sequence
from typing import Any

import holidays

from .exceptions import ExtranetError
from .model import Plan, PlannedRelease, Release, Rule, SupportCalendar, version_key

__all__ = [
    "Calendar",
    "Deadline",
    "OutOfRange",
    "Repeated",
    "Skipped",
    "calendar",
    "deadline",
    "export",
    "ics",
    "rule_text",
]


class OutOfRange(ExtranetError, ValueError):
    """A day outside the years the calendar covers."""

    def __init__(self, day: dt.date, first: dt.date, last: dt.date) -> None:
        super().__init__(
            f"the support calendar covers {first.isoformat()} to {last.isoformat()} only ({day.isoformat()} is outside)"
        )
        self.day, self.first, self.last = day, first, last


class Skipped(ExtranetError, ValueError):
    """A wall-clock time the zone skips (clocks go forward)."""


class Repeated(ExtranetError, ValueError):
    """A wall-clock time the zone has twice (clocks go back)."""


def _holiday_language(country: str, language: str) -> str | None:
    """The `holidays` localisation for a site language ('en' -> 'en_US'), or the country's default."""
    supported = holidays.country_holidays(country).supported_languages
    if language in supported:
        return language
    return next((code for code in sorted(supported) if code.startswith(language + "_")), None)


@dataclasses.dataclass(frozen=True)
class Calendar:
    """A plan's support calendar: when support is open, in the plan's time zone."""

    rules: SupportCalendar
    first: dt.date = dt.date.min
    """The first day the calendar covers; earlier days raise `OutOfRange`."""
    last: dt.date = dt.date.max

    @functools.cached_property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.rules.timezone)

    @functools.cached_property
    def _public(self) -> holidays.HolidayBase:
        return holidays.country_holidays(self.rules.country)

    @functools.cached_property
    def _company(self) -> dict[dt.date, dict[str, str]]:
        return {day.date: day.name for day in self.rules.closed_days}

    @property
    def weekend(self) -> frozenset[int]:
        """Weekdays (Monday = 0) the country does not work."""
        return frozenset(self._public.weekend)

    # --- days ----------------------------------------------------------------------------------

    def is_business_day(self, day: dt.date) -> bool:
        """A working day of the country (the `holidays` package decides) that the vendor is not closed.

        Counting N business days walks over this rather than `get_nth_working_day`, which would skip
        the country's days off but not the vendor's own `closed_days`."""
        if not self.first <= day <= self.last:
            raise OutOfRange(day, self.first, self.last)
        return self._public.is_working_day(day) and day not in self._company

    def weekend_workdays(self, start: dt.date, end: dt.date) -> list[dt.date]:
        """Weekend days from `start` to `end` that the country works (e.g. Hungary's bridging Saturdays)."""
        days = []
        day = start
        while day <= end:
            if day.weekday() in self.weekend and self._public.is_working_day(day):
                days.append(day)
            day += dt.timedelta(days=1)
        return days

    def next_business_day(self, after: dt.date) -> dt.date:
        """The first business day strictly after `after`."""
        day = after + dt.timedelta(days=1)
        while not self.is_business_day(day):
            day += dt.timedelta(days=1)
        return day

    def closures(self, start: dt.date, end: dt.date, language: str) -> list[tuple[dt.date, str]]:
        """Public and company holidays from `start` to `end` (inclusive) that fall on weekdays, with
        their names in `language`; weekends are closed without being listed."""
        localised = holidays.country_holidays(
            self.rules.country,
            years=range(start.year, end.year + 1),
            language=_holiday_language(self.rules.country, language),
        )
        result = []
        day = start
        while day <= end:
            if day.weekday() not in self.weekend:
                names = []
                if day in localised:
                    names.append(localised[day])
                if day in self._company:
                    names.append(
                        self._company[day][language]
                        if language in self._company[day]
                        else next(iter(self._company[day].values()))
                    )
                if names:
                    result.append((day, "; ".join(names)))
            day += dt.timedelta(days=1)
        return result

    # --- instants ------------------------------------------------------------------------------

    def local(self, instant: dt.datetime) -> dt.datetime:
        if instant.tzinfo is None:
            raise ValueError("an instant needs a UTC offset")
        return instant.astimezone(self.zone)

    def resolve(self, reported: dt.datetime) -> dt.datetime:
        """A report time as an instant in the plan's zone; a naive time is wall-clock time there,
        refused when the zone skips it (spring forward) or has it twice (fall back)."""
        if reported.tzinfo is not None:
            local = reported.astimezone(self.zone)
            self.is_business_day(local.date())  # refuses a report outside the covered years
            return local
        self.is_business_day(reported.date())
        early, late = reported.replace(tzinfo=self.zone, fold=0), reported.replace(tzinfo=self.zone, fold=1)
        early_utc, late_utc = early.astimezone(dt.UTC), late.astimezone(dt.UTC)
        if early_utc == late_utc:
            return early_utc.astimezone(self.zone)
        back = early_utc.astimezone(self.zone).replace(tzinfo=None) == reported
        if back:
            raise Repeated(
                f"{reported.isoformat()} happens twice in {self.rules.timezone} (clocks go back); "
                f"give the offset, e.g. {early.isoformat()} or {late.isoformat()}"
            )
        raise Skipped(
            f"{reported.isoformat()} does not exist in {self.rules.timezone} (clocks go forward); "
            f"give the offset or a valid time"
        )

    def at(self, day: dt.date, time: dt.time) -> dt.datetime:
        """A wall-clock time of the plan's zone as an aware instant (a time in a DST gap moves forward)."""
        naive = dt.datetime.combine(day, time)
        return naive.replace(tzinfo=self.zone).astimezone(dt.UTC).astimezone(self.zone)

    def opening(self, day: dt.date) -> dt.datetime:
        return self.at(day, self.rules.opens)

    def closing(self, day: dt.date) -> dt.datetime:
        return self.at(day, self.rules.closes)

    def is_open(self, instant: dt.datetime) -> bool:
        local = self.local(instant)
        return self.is_business_day(local.date()) and self.rules.opens <= local.time() < self.rules.closes

    def next_opening(self, instant: dt.datetime) -> dt.datetime:
        """The instant support opens next (the instant itself while it is open)."""
        local = self.local(instant)
        if self.is_open(local):
            return local
        day = local.date()
        if self.is_business_day(day) and local.time() < self.rules.opens:
            return self.opening(day)
        return self.opening(self.next_business_day(day))


def calendar(rules: SupportCalendar, now: dt.datetime | None = None) -> Calendar:
    """The plan's calendar; with `now`, limited to the years `export_years(now)` covers, as the page's
    script is (without it, unlimited: for listing closed days)."""
    if now is None:
        return Calendar(rules)
    first, last = export_years(now)
    return Calendar(rules, dt.date(first, 1, 1), dt.date(last, 12, 31))


# --- deadlines ---------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Deadline:
    """When a response is due. `at` is None only for `next_release`, whose answer is a release."""

    rule: Rule
    reported: dt.datetime
    """The report, in the plan's time zone."""
    at: dt.datetime | None
    release: Release | PlannedRelease | None = None
    """next_release: the first release dated after the report, published (a `Release` of releases/) or
    planned (a `PlannedRelease`), or None when none is known: "none planned yet"."""

    @property
    def published(self) -> bool:
        return isinstance(self.release, Release)


def upgrades(releases: Sequence[Release], planned: Sequence[PlannedRelease]) -> list[Release | PlannedRelease]:
    """Every official release, published or planned, in date order: what a cosmetic fix can ship in."""
    return sorted([*releases, *planned], key=lambda release: (release.date, version_key(release.version)))


def deadline(
    cal: Calendar, rule: Rule, reported: dt.datetime, releases: Sequence[Release | PlannedRelease] = ()
) -> Deadline:
    """The deadline of `rule` for a report at `reported` (aware), exactly as the plan's terms define it.

    - immediate: the report time during business hours, otherwise the next opening time.
    - same_business_day: closing time on the day of the report if it is a business day and the report
      came before closing, otherwise closing time on the next business day.
    - next_business_day: closing time on the first business day after the day of the report.
    - business_days N: closing time on the N-th business day after the day of the report.
    - calendar_days N: closing time N calendar days after the report, or on the first business day
      after that day if it is closed.
    - next_release: the first official release dated after the day of the report, published or
      planned (pass `upgrades(releases, planned)`); none when none is known. "V nejbližší možné oficiální
      aktualizaci": a release already out counts, so a report in February is fixed in the release of
      March, not in the next one still to be planned.

    Raises OutOfRange when the report, or a day the rule has to look at, is outside the calendar."""
    local = cal.local(reported)
    day = local.date()
    cal.is_business_day(day)  # the report itself must be inside the covered years, for every rule
    if rule.kind == "immediate":
        return Deadline(rule, local, cal.next_opening(local))
    if rule.kind == "same_business_day":
        if cal.is_business_day(day) and local.time() < cal.rules.closes:
            return Deadline(rule, local, cal.closing(day))
        return Deadline(rule, local, cal.closing(cal.next_business_day(day)))
    if rule.kind in ("next_business_day", "business_days"):
        for _ in range(max(rule.days, 1)):
            day = cal.next_business_day(day)
        return Deadline(rule, local, cal.closing(day))
    if rule.kind == "calendar_days":
        due = day + dt.timedelta(days=rule.days)
        if not cal.is_business_day(due):
            due = cal.next_business_day(due)
        return Deadline(rule, local, cal.closing(due))
    if rule.kind == "next_release":
        upcoming = sorted(
            (release for release in releases if release.date > day),
            key=lambda release: (release.date, version_key(release.version)),
        )
        return Deadline(rule, local, None, upcoming[0] if upcoming else None)
    raise AssertionError(rule.kind)  # pragma: no cover: the model admits no other kind


def rule_text(rule: Rule) -> str:
    """A rule as maintainers write it in YAML, e.g. `calendar_days: 7`."""
    return f"{rule.kind}: {rule.days}" if rule.kind in ("business_days", "calendar_days") else rule.kind


# --- exports -----------------------------------------------------------------------------------


def export_years(now: dt.datetime) -> tuple[int, int]:
    """The years the exported calendar covers: last year to two years ahead of `now`."""
    return now.year - 1, now.year + 2


def export(
    plan: Plan,
    releases: Sequence[Release],
    planned: Sequence[PlannedRelease],
    now: dt.datetime,
    languages: Sequence[str],
) -> str:
    """The plan's calendar as JSON for the page's script: opening hours, zone, every closed weekday of
    the covered years with its name per language, the weekend days the country works, the official
    releases (published and planned, dated after `from`) and the rules.

    The script refuses a date outside `from`..`until` as the command does (`OutOfRange`)."""
    cal = calendar(plan.calendar, now)
    first, last = export_years(now)
    start, end = dt.date(first, 1, 1), dt.date(last, 12, 31)
    names: dict[str, dict[str, str]] = {}
    for language in languages:
        for day, name in cal.closures(start, end, language):
            names.setdefault(day.isoformat(), {})[language] = name

    def rule(value: Rule | None) -> dict[str, Any] | None:
        return None if value is None else {"kind": value.kind, "days": value.days}

    data = {
        "plan": plan.id,
        "timezone": plan.calendar.timezone,
        "opens": plan.calendar.opens.strftime("%H:%M"),
        "closes": plan.calendar.closes.strftime("%H:%M"),
        "from": start.isoformat(),
        "until": end.isoformat(),
        "weekend": sorted(day + 1 for day in cal.weekend),
        "workdays": [day.isoformat() for day in cal.weekend_workdays(start, end)],
        "closed": names,
        "releases": [
            {"version": release.version, "date": release.date.isoformat(), "published": isinstance(release, Release)}
            for release in upgrades(releases, planned)
            if release.date >= start
        ],
        "channels": [{"id": channel.id, "kind": channel.kind, "hours": channel.hours} for channel in plan.channels],
        "severities": [
            {
                "id": severity.id,
                "channels": {
                    channel.id: {
                        "deadline": rule(severity.response_on(channel.id).deadline),
                        "target": rule(severity.response_on(channel.id).target),
                    }
                    for channel in plan.channels
                },
            }
            for severity in plan.severities
        ],
    }
    return json.dumps(data, ensure_ascii=False, indent=1, sort_keys=False) + "\n"


def _ics_text(value: str) -> str:
    """RFC 5545 TEXT: `\\`, `;`, `,` escaped, a line break as `\\n`, no other control character
    (a bare CR would end the content line: a name from data could add its own properties)."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    value = "".join(ch if ch == "\n" or (ord(ch) >= 32 and ord(ch) != 127) else "\ufffd" for ch in value)
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _fold(line: str) -> Iterator[str]:
    """RFC 5545 3.1: lines of at most 75 octets, continued with a leading space."""
    data = line.encode("utf-8")
    first = True
    while data:
        limit = 75 if first else 74
        cut = min(limit, len(data))
        while cut < len(data) and (data[cut] & 0xC0) == 0x80:  # never split a UTF-8 character
            cut -= 1
        yield ("" if first else " ") + data[:cut].decode("utf-8")
        data = data[cut:]
        first = False


def ics(plan: Plan, now: dt.datetime, language: str, name: str, closed: str, domain: str) -> str:
    """The days support is closed (public and company holidays on working weekdays) as an RFC 5545
    calendar of all-day events, for calendar apps.

    Deterministic: UIDs are the date, plan and domain; DTSTAMP is `now`, never the wall clock."""
    cal = calendar(plan.calendar)
    first, last = export_years(now)
    stamp = now.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:-//{domain}//extranet support calendar//{language.upper()}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{_ics_text(name)}",
        f"X-WR-TIMEZONE:{plan.calendar.timezone}",
    ]
    for day, holiday in cal.closures(dt.date(first, 1, 1), dt.date(last, 12, 31), language):
        lines += [
            "BEGIN:VEVENT",
            f"UID:{day:%Y%m%d}-{plan.id}-closed@{domain}",
            f"DTSTAMP:{stamp}",
            f"DTSTART;VALUE=DATE:{day:%Y%m%d}",
            f"DTEND;VALUE=DATE:{day + dt.timedelta(days=1):%Y%m%d}",
            f"SUMMARY:{_ics_text(closed + ': ' + holiday)}",
            "TRANSP:TRANSPARENT",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "".join(folded + "\r\n" for line in lines for folded in _fold(line))
