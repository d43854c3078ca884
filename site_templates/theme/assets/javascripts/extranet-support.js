/* Support pages: "open now / opens at", the deadline calculator and the problem report e-mail.
 *
 * The calendar comes from the build (support/<plan>/calendar.json, written by extranet.support_calendar):
 * the browser never decides a holiday. The deadline rules below mirror extranet.support_calendar.deadline,
 * with the same rule at the edges: a wall-clock time the zone skips or has twice is refused, and so
 * is a report, or any day a deadline looks at, outside the exported years.
 * tests/test_support.py runs `evaluate` in node and tests/test_browser.py the page in Chromium,
 * both against `extranet sla deadline`, case by case.
 */
(function () {
  "use strict";

  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function minutesOf(hhmm) { var p = hhmm.split(":"); return +p[0] * 60 + +p[1]; }
  function dayNumber(iso) { var p = iso.split("-"); return Date.UTC(+p[0], +p[1] - 1, +p[2]) / 86400000; }
  function isoDay(n) { var d = new Date(n * 86400000); return d.getUTCFullYear() + "-" + pad(d.getUTCMonth() + 1) + "-" + pad(d.getUTCDate()); }
  function fill(text, values) { return text.replace(/\{(\w+)\}/g, function (_, k) { return values[k]; }); }

  function OutOfRange(day) { this.day = day; }
  function Skipped() {}
  function Repeated() {}

  function Calendar(data) {
    this.data = data;
    this.opens = minutesOf(data.opens);
    this.closes = minutesOf(data.closes);
    this.first = dayNumber(data.from);
    this.last = dayNumber(data.until);
    this.parts = new Intl.DateTimeFormat("en-US", {
      timeZone: data.timezone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit", second: "2-digit"
    });
  }

  Calendar.prototype.isBusinessDay = function (n) {
    if (n < this.first || n > this.last) throw new OutOfRange(isoDay(n));
    var weekday = ((new Date(n * 86400000).getUTCDay() + 6) % 7) + 1; /* Monday = 1 */
    var day = isoDay(n);
    if (this.data.weekend.indexOf(weekday) >= 0) return (this.data.workdays || []).indexOf(day) >= 0;
    return !(day in this.data.closed);
  };
  Calendar.prototype.nextBusinessDay = function (n) {
    do { n += 1; } while (!this.isBusinessDay(n));
    return n;
  };

  /* Wall-clock time in the plan's zone <-> instants. */
  Calendar.prototype.wall = function (millis) {
    var p = {};
    this.parts.formatToParts(new Date(millis)).forEach(function (x) { p[x.type] = x.value; });
    return { day: dayNumber(p.year + "-" + p.month + "-" + p.day), minutes: +p.hour * 60 + +p.minute,
             seconds: +p.second, offset: 0 };
  };
  Calendar.prototype.offsetAt = function (millis) {
    var w = this.wall(millis);
    var asUtc = (w.day * 1440 + w.minutes) * 60000 + w.seconds * 1000;
    return Math.round((asUtc - Math.floor(millis / 1000) * 1000) / 60000);
  };
  Calendar.prototype.instant = function (day, minutes) {
    var guess = (day * 1440 + minutes) * 60000;
    var offset = this.offsetAt(guess - this.offsetAt(guess) * 60000);
    /* A time in the spring gap takes the offset before the change and so moves forward, as in Python. */
    return guess - offset * 60000;
  };
  /* A report's wall-clock time as an instant, refused (as `Calendar.resolve` in Python refuses it)
   * when the zone skips it or has it twice. */
  Calendar.prototype.resolve = function (day, minutes) {
    this.isBusinessDay(day); /* a report outside the covered years is refused, for every rule */
    var guess = (day * 1440 + minutes) * 60000, self = this, found = [];
    [this.offsetAt(guess - 86400000), this.offsetAt(guess + 86400000)].forEach(function (offset) {
      var candidate = guess - offset * 60000, w = self.wall(candidate);
      if (w.day === day && w.minutes === minutes && found.indexOf(candidate) < 0) found.push(candidate);
    });
    if (found.length === 0) throw new Skipped();
    if (found.length > 1) throw new Repeated();
    return found[0];
  };
  Calendar.prototype.iso = function (millis) {
    var off = this.offsetAt(millis);
    var w = this.wall(millis);
    var sign = off < 0 ? "-" : "+";
    var a = Math.abs(off);
    return isoDay(w.day) + "T" + pad(Math.floor(w.minutes / 60)) + ":" + pad(w.minutes % 60) + ":" + pad(w.seconds) +
      sign + pad(Math.floor(a / 60)) + ":" + pad(a % 60);
  };

  Calendar.prototype.isOpen = function (day, minutes) {
    return this.isBusinessDay(day) && this.opens <= minutes && minutes < this.closes;
  };
  /* The same rules as extranet.support_calendar.deadline; the report is wall-clock time in the plan's zone. */
  Calendar.prototype.deadline = function (rule, day, minutes, reportMillis) {
    var kind = rule.kind;
    if (kind === "immediate") {
      if (this.isOpen(day, minutes)) return { at: reportMillis };
      if (this.isBusinessDay(day) && minutes < this.opens) return { at: this.instant(day, this.opens) };
      return { at: this.instant(this.nextBusinessDay(day), this.opens) };
    }
    if (kind === "same_business_day") {
      if (this.isBusinessDay(day) && minutes < this.closes) return { at: this.instant(day, this.closes) };
      return { at: this.instant(this.nextBusinessDay(day), this.closes) };
    }
    if (kind === "next_business_day" || kind === "business_days") {
      for (var i = 0; i < Math.max(rule.days, 1); i++) day = this.nextBusinessDay(day);
      return { at: this.instant(day, this.closes) };
    }
    if (kind === "calendar_days") {
      var due = day + rule.days;
      if (!this.isBusinessDay(due)) due = this.nextBusinessDay(due);
      return { at: this.instant(due, this.closes) };
    }
    if (kind === "next_release") {
      var next = this.data.releases.filter(function (r) { return dayNumber(r.date) > day; })[0];
      return { release: next || null };
    }
    throw new Error("unknown rule " + kind);
  };

  /* The calculator's answer for a severity, a channel and a wall-clock report "YYYY-MM-DDTHH:MM":
   * {deadline, target} (each {at} or {release}) or {error: "range" | "skipped" | "repeated"}. */
  function evaluate(cal, severityId, channelId, reported) {
    var severity = cal.data.severities.filter(function (s) { return s.id === severityId; })[0];
    var response = severity && severity.channels[channelId];
    var match = /^(\d{4}-\d\d-\d\d)T(\d\d):(\d\d)$/.exec(reported);
    if (!response || !match) return null;
    var day = dayNumber(match[1]), minutes = +match[2] * 60 + +match[3];
    try {
      var reportMillis = cal.resolve(day, minutes);
      return { deadline: cal.deadline(response.deadline, day, minutes, reportMillis),
               target: response.target ? cal.deadline(response.target, day, minutes, reportMillis) : null,
               targetKind: response.target ? response.target.kind : null };
    } catch (error) {
      if (error instanceof OutOfRange) return { error: "range" };
      if (error instanceof Skipped) return { error: "skipped" };
      if (error instanceof Repeated) return { error: "repeated" };
      throw error;
    }
  }

  /* Dates as people write them in the page's language ("středa 30. prosince 2026 v 16:00",
   * "Wednesday, 30 December 2026 at 16:00"): the locale comes from the page (data-locale). */
  function formatter(locale, zone, withTime, withWeekday) {
    var options = { timeZone: zone, year: "numeric", month: "long", day: "numeric" };
    if (withWeekday !== false) options.weekday = "long";
    if (withTime) { options.hour = "2-digit"; options.minute = "2-digit"; options.hourCycle = "h23"; }
    return new Intl.DateTimeFormat(locale, options);
  }
  function dayText(box, iso, withWeekday) {
    return formatter(box.dataset.locale, "UTC", false, withWeekday).format(new Date(dayNumber(iso) * 86400000));
  }

  /* A deadline or target as text, with `prefix` ("Nejpozději: {when}") for a time; a fix in a release
   * always reads "Oprava: …". */
  function describe(box, cal, result, prefix) {
    if (result.at !== undefined) {
      return { iso: cal.iso(result.at), text: fill(prefix, {
        when: formatter(box.dataset.locale, cal.data.timezone, true).format(new Date(result.at)) + " " + box.dataset.textZone }) };
    }
    if (result.release) {
      var text = result.release.published ? box.dataset.textReleased : box.dataset.textPlanned;
      return { iso: result.release.date, text: fill(box.dataset.textFix, {
        when: fill(text, { version: result.release.version, date: dayText(box, result.release.date, false) }) }) };
    }
    return { iso: "", text: fill(box.dataset.textFix, { when: box.dataset.textNoRelease }) };
  }

  /* The calculator's text and data-deadline / data-target for one input, as the page shows it. */
  function answer(box, cal, severityId, channelId, reported) {
    var result = evaluate(cal, severityId, channelId, reported);
    if (!result) return { text: "" };
    if (result.error === "range") {
      return { text: fill(box.dataset.textUnknown, { from: dayText(box, cal.data.from, false),
                                                     until: dayText(box, cal.data.until, false) }) };
    }
    if (result.error) return { text: box.dataset[result.error === "skipped" ? "textSkipped" : "textRepeated"] };
    var due = describe(box, cal, result.deadline, box.dataset.textDeadline);
    var out = { text: due.text, deadline: due.iso };
    if (result.target) {
      /* "ihned" is the terms' own word for the phone, without "většinou" (see _macros.j2 response) */
      var target = describe(box, cal, result.target, result.targetKind === "immediate"
        ? box.dataset.textTargetImmediate : box.dataset.textTarget);
      out.target = target.iso;
      out.text = target.text + "; " + due.text;
    }
    return out;
  }

  function calculator(box, cal) {
    var form = box.querySelector("form.extranet-deadline");
    if (!form) return;
    var out = box.querySelector(".extranet-deadline-result");
    var reported = form.elements.reported;
    function setNow() {
      var w = cal.wall(Date.now());
      reported.value = isoDay(w.day) + "T" + pad(Math.floor(w.minutes / 60)) + ":" + pad(w.minutes % 60);
    }
    function update() {
      var result = answer(box, cal, form.elements.severity.value, form.elements.channel.value,
                          reported.value.slice(0, 16));
      out.removeAttribute("data-deadline");
      out.removeAttribute("data-target");
      if (result.deadline !== undefined) out.setAttribute("data-deadline", result.deadline);
      if (result.target !== undefined) out.setAttribute("data-target", result.target);
      out.textContent = result.text;
    }
    form.addEventListener("input", update);
    form.addEventListener("change", update);
    form.addEventListener("submit", function (event) { event.preventDefault(); update(); });
    var now = form.querySelector("button[name=now]");
    if (now) now.addEventListener("click", function () { setNow(); update(); });
    form.hidden = false;
    if (!reported.value) setNow();
    update();
  }

  function status(box, cal) {
    var w = cal.wall(Date.now());
    document.querySelectorAll('.extranet-status[data-plan="' + cal.data.plan + '"]').forEach(function (span) {
      var channel = cal.data.channels.filter(function (c) { return c.id === span.dataset.channel; })[0];
      if (!channel) return;
      if (channel.hours === "always") { span.textContent = " (" + box.dataset.textAlways + ")"; span.dataset.open = "true"; return; }
      try {
        if (cal.isOpen(w.day, w.minutes)) {
          span.textContent = " (" + fill(box.dataset.textOpen, { time: cal.data.closes }) + ")";
          span.dataset.open = "true";
          return;
        }
        var day = cal.isBusinessDay(w.day) && w.minutes < cal.opens ? w.day : cal.nextBusinessDay(w.day);
        var when = formatter(box.dataset.locale, cal.data.timezone, true).format(new Date(cal.instant(day, cal.opens))) +
          " " + box.dataset.textZone;
        span.textContent = " (" + fill(box.dataset.textOpens, { when: when }) + ")";
        span.dataset.open = "false";
      } catch (error) {
        if (!(error instanceof OutOfRange)) throw error;
        span.textContent = "";
      }
    });
  }

  function report(form) {
    var link = form.querySelector("a.extranet-mailto");
    function compose() {
      var lines = [], subject = form.dataset.subject, values = {};
      Array.prototype.forEach.call(form.querySelectorAll("[data-mail-label]"), function (field) {
        var option = field.tagName === "SELECT" ? field.options[field.selectedIndex] : null;
        var value = option ? (option.value ? option.dataset.mail || option.text : "")
          : field.value.trim().replace(/\r?\n/g, "\r\n"); /* e-mail lines end in CRLF (RFC 6068) */
        values[field.name] = value;
        if (field.tagName === "TEXTAREA") lines.push("", field.dataset.mailLabel + ":", value);
        else lines.push(field.dataset.mailLabel + ": " + value);
      });
      subject = fill(subject, values);
      return "mailto:" + form.dataset.to + "?subject=" + encodeURIComponent(subject) +
        "&body=" + encodeURIComponent(lines.join("\r\n"));
    }
    function update() { link.href = compose(); }
    form.addEventListener("input", update);
    form.addEventListener("change", update);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (form.reportValidity()) window.location.href = compose();
    });
    link.addEventListener("click", function (event) {
      if (!form.reportValidity()) event.preventDefault(); else update();
    });
    update();
  }

  function start() {
    document.querySelectorAll(".extranet-support[data-calendar]").forEach(function (box) {
      fetch(box.dataset.calendar, { credentials: "same-origin" })
        .then(function (response) { if (!response.ok) throw new Error(response.status); return response.json(); })
        .then(function (data) {
          var cal = new Calendar(data);
          status(box, cal);
          calculator(box, cal);
          box.dataset.ready = "true";
        })
        .catch(function (error) { box.dataset.ready = "error"; if (window.console) console.error(error); });
    });
    document.querySelectorAll("form.extranet-report").forEach(report);
  }

  if (typeof module === "object" && module.exports) {
    /* node (tests/test_support.py): the same code the page runs, without a page */
    module.exports = { Calendar: Calendar, evaluate: evaluate, answer: answer };
  } else if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
