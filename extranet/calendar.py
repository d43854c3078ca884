"""The support calendar: business days, opening times and response deadlines of a plan.

The one place that decides them. The CLI (`extranet sla deadline`), the pages, the exported
calendar the browser reads (`export`) and the iCalendar file (`ics`) all ask this module, so a
customer sees the same deadline wherever they look. The browser never decides a holiday: it gets
the closed days computed here.

A business day is a weekday of the plan's country that is neither a public holiday (from the
`holidays` package, Easter included) nor one of the plan's `closed_days` (company holidays).
Times are wall-clock times in the plan's time zone; a report is first converted to that zone, so
a report at 23:30 UTC on a Sunday in winter is a report made on Monday in Prague.
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

from .model import PlannedRelease, Plan, Rule, SupportCalendar, version_key

__all__ = ["Calendar", "Deadline", "calendar", "deadline", "export", "ics", "rule_text"]


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
        return day.weekday() not in self.weekend and day not in self._public and day not in self._company

    def next_business_day(self, after: dt.date) -> dt.date:
        """The first business day strictly after `after`."""
        day = after + dt.timedelta(days=1)
        while not self.is_business_day(day):
            day += dt.timedelta(days=1)
        return day

    def closures(self, start: dt.date, end: dt.date, language: str) -> list[tuple[dt.date, str]]:
        """Public and company holidays from `start` to `end` (inclusive) that fall on working weekdays,
        with their names in `language`; weekends are closed without being listed."""
        localised = holidays.country_holidays(self.rules.country, years=range(start.year, end.year + 1),
                                              language=_holiday_language(self.rules.country, language))
        result = []
        day = start
        while day <= end:
            if day.weekday() not in self.weekend:
                names = []
                if day in localised:
                    names.append(localised[day])
                if day in self._company:
                    names.append(self._company[day][language] if language in self._company[day]
                                 else next(iter(self._company[day].values())))
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
            return reported.astimezone(self.zone)
        early, late = reported.replace(tzinfo=self.zone, fold=0), reported.replace(tzinfo=self.zone, fold=1)
        early_utc, late_utc = early.astimezone(dt.timezone.utc), late.astimezone(dt.timezone.utc)
        if early_utc == late_utc:
            return early_utc.astimezone(self.zone)
        back = early_utc.astimezone(self.zone).replace(tzinfo=None) == reported
        if back:
            raise ValueError(f"{reported.isoformat()} happens twice in {self.rules.timezone} (clocks go back); "
                             f"give the offset, e.g. {early.isoformat()} or {late.isoformat()}")
        raise ValueError(f"{reported.isoformat()} does not exist in {self.rules.timezone} (clocks go forward); "
                         f"give the offset or a valid time")

    def at(self, day: dt.date, time: dt.time) -> dt.datetime:
        """A wall-clock time of the plan's zone as an aware instant (a time in a DST gap moves forward)."""
        naive = dt.datetime.combine(day, time)
        return naive.replace(tzinfo=self.zone).astimezone(dt.timezone.utc).astimezone(self.zone)

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


def calendar(rules: SupportCalendar) -> Calendar:
    return Calendar(rules)


# --- deadlines ---------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Deadline:
    """When a response is due. `at` is None only for `next_release`, whose answer is a release."""

    rule: Rule
    reported: dt.datetime
    """The report, in the plan's time zone."""
    at: dt.datetime | None
    release: PlannedRelease | None = None
    """next_release: the next planned release, or None when none is planned yet."""


def deadline(cal: Calendar, rule: Rule, reported: dt.datetime,
             planned: Sequence[PlannedRelease] = ()) -> Deadline:
    """The deadline of `rule` for a report at `reported` (aware), exactly as the plan's terms define it.

    - immediate: the report time during business hours, otherwise the next opening time.
    - same_business_day: closing time on the day of the report if it is a business day and the report
      came before closing, otherwise closing time on the next business day.
    - next_business_day: closing time on the first business day after the day of the report.
    - business_days N: closing time on the N-th business day after the day of the report.
    - calendar_days N: closing time N calendar days after the report, or on the first business day
      after that day if it is closed.
    - next_release: the first planned release dated after the day of the report, if any.
    """
    local = cal.local(reported)
    day = local.date()
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
        upcoming = sorted((release for release in planned if release.date > day),
                          key=lambda release: (release.date, version_key(release.version)))
        return Deadline(rule, local, None, upcoming[0] if upcoming else None)
    raise AssertionError(rule.kind)  # pragma: no cover: the model admits no other kind


def rule_text(rule: Rule) -> str:
    """A rule as maintainers write it in YAML, e.g. `calendar_days: 7`."""
    return f"{rule.kind}: {rule.days}" if rule.kind in ("business_days", "calendar_days") else rule.kind


# --- exports -----------------------------------------------------------------------------------

def export_years(now: dt.datetime) -> tuple[int, int]:
    """The years the exported calendar covers: last year to two years ahead of `now`."""
    return now.year - 1, now.year + 2


def export(plan: Plan, planned: Sequence[PlannedRelease], now: dt.datetime, languages: Sequence[str]) -> str:
    """The plan's calendar as JSON for the page's script: opening hours, zone, every closed working
    weekday of the covered years with its name per language, the planned releases and the rules.

    The script treats a date outside `from`..`until` as unknown rather than guessing."""
    cal = calendar(plan.calendar)
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
        "closed": names,
        "planned": [{"version": release.version, "date": release.date.isoformat()}
                    for release in sorted(planned, key=lambda r: (r.date, version_key(r.version)))],
        "channels": [{"id": channel.id, "kind": channel.kind, "hours": channel.hours} for channel in plan.channels],
        "severities": [{"id": severity.id, "channels": {
            channel.id: {"deadline": rule(severity.response_on(channel.id).deadline),
                         "target": rule(severity.response_on(channel.id).target)} for channel in plan.channels}}
            for severity in plan.severities],
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
    stamp = now.astimezone(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:-//{domain}//extranet support calendar//{language.upper()}",
             "CALSCALE:GREGORIAN", "METHOD:PUBLISH", f"X-WR-CALNAME:{_ics_text(name)}",
             f"X-WR-TIMEZONE:{plan.calendar.timezone}"]
    for day, holiday in cal.closures(dt.date(first, 1, 1), dt.date(last, 12, 31), language):
        lines += ["BEGIN:VEVENT", f"UID:{day:%Y%m%d}-{plan.id}-closed@{domain}", f"DTSTAMP:{stamp}",
                  f"DTSTART;VALUE=DATE:{day:%Y%m%d}", f"DTEND;VALUE=DATE:{day + dt.timedelta(days=1):%Y%m%d}",
                  f"SUMMARY:{_ics_text(closed + ': ' + holiday)}", "TRANSP:TRANSPARENT", "END:VEVENT"]
    lines.append("END:VCALENDAR")
    return "".join(folded + "\r\n" for line in lines for folded in _fold(line))
