/* Support pages: "open now / opens at", the deadline calculator and the problem report e-mail.
 *
 * The calendar comes from the build (support/<plan>/calendar.json, written by extranet.calendar):
 * the browser never decides a holiday; a date outside the exported years is "unknown".
 * The deadline rules below mirror extranet.calendar.deadline; tests/test_browser.py checks that
 * this calculator and `extranet sla deadline` agree, case by case.
 */
(function () {
  "use strict";

  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function minutesOf(hhmm) { var p = hhmm.split(":"); return +p[0] * 60 + +p[1]; }
  function dayNumber(iso) { var p = iso.split("-"); return Date.UTC(+p[0], +p[1] - 1, +p[2]) / 86400000; }
  function isoDay(n) { var d = new Date(n * 86400000); return d.getUTCFullYear() + "-" + pad(d.getUTCMonth() + 1) + "-" + pad(d.getUTCDate()); }
  function fill(text, values) { return text.replace(/\{(\w+)\}/g, function (_, k) { return values[k]; }); }

  function OutOfRange(day) { this.day = day; }

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
    return this.data.weekend.indexOf(weekday) < 0 && !(isoDay(n) in this.data.closed);
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
  /* The same rules as extranet.calendar.deadline; the report is wall-clock time in the plan's zone. */
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
      var next = this.data.planned.filter(function (r) { return dayNumber(r.date) > day; })[0];
      return { release: next || null };
    }
    throw new Error("unknown rule " + kind);
  };

  function formatter(lang, zone, withTime) {
    var options = { timeZone: zone, weekday: "long", year: "numeric", month: "long", day: "numeric" };
    if (withTime) { options.hour = "2-digit"; options.minute = "2-digit"; options.hourCycle = "h23"; }
    return new Intl.DateTimeFormat(lang, options);
  }

  function describe(box, cal, result) {
    var lang = box.dataset.lang;
    if (result.at !== undefined) {
      return { iso: cal.iso(result.at),
               text: formatter(lang, cal.data.timezone, true).format(new Date(result.at)) };
    }
    if (result.release) {
      var date = formatter(lang, "UTC", false).format(new Date(dayNumber(result.release.date) * 86400000));
      return { iso: result.release.date, text: fill(box.dataset.textRelease, { version: result.release.version, date: date }) };
    }
    return { iso: "", text: box.dataset.textNoRelease };
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
      var severity = cal.data.severities.filter(function (s) { return s.id === form.elements.severity.value; })[0];
      var response = severity && severity.channels[form.elements.channel.value];
      var match = /^(\d{4}-\d\d-\d\d)T(\d\d):(\d\d)/.exec(reported.value);
      out.removeAttribute("data-deadline");
      out.removeAttribute("data-target");
      if (!response || !match) { out.textContent = ""; return; }
      var day = dayNumber(match[1]), minutes = +match[2] * 60 + +match[3];
      try {
        var reportMillis = cal.instant(day, minutes);
        var due = describe(box, cal, cal.deadline(response.deadline, day, minutes, reportMillis));
        var text = fill(box.dataset.textDeadline, { when: due.text });
        out.setAttribute("data-deadline", due.iso);
        if (response.target) {
          var target = describe(box, cal, cal.deadline(response.target, day, minutes, reportMillis));
          out.setAttribute("data-target", target.iso);
          text = fill(box.dataset.textTarget, { when: target.text }) + "; " + text;
        }
        out.textContent = text;
      } catch (error) {
        if (!(error instanceof OutOfRange)) throw error;
        out.textContent = fill(box.dataset.textUnknown, { from: cal.data.from, until: cal.data.until });
      }
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
    var lang = box.dataset.lang;
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
        var when = formatter(lang, cal.data.timezone, true).format(new Date(cal.instant(day, cal.opens)));
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

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
