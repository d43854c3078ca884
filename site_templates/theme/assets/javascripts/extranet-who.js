/* The header's "who is logged in" part (partials/extranet-who.html).
 *
 * The pages are static files, the same for every reader of an audience, so who is logged in comes
 * from the `extranet_who` cookie the server sets at login: percent-encoded JSON
 * {"name": ..., "company": ..., "home": "/customers/acme/"}. Its values come from customers.yaml:
 * they are written with textContent only, never as HTML, and `home` is used only if it is a path on
 * this site ("/..." but not "//..."), never a "javascript:" or another host's URL.
 * Without the cookie: a page behind the login still offers logout; a public page offers login.
 * On the home page the login button becomes a link to the reader's own page.
 */
(function () {
  "use strict";

  function cookie(name) {
    var parts = document.cookie ? document.cookie.split(";") : [];
    for (var i = 0; i < parts.length; i++) {
      var part = parts[i].replace(/^\s+/, "");
      if (part.indexOf(name + "=") === 0) return part.slice(name.length + 1);
    }
    return null;
  }

  function who() {
    var raw = cookie("extranet_who");
    if (!raw) return null;
    try {
      var value = JSON.parse(decodeURIComponent(raw));
      if (!value || typeof value.name !== "string" || !value.name) return null;
      return {
        name: value.name,
        company: typeof value.company === "string" ? value.company : "",
        home: typeof value.home === "string" && /^\/(?![\/\\])/.test(value.home) ? value.home : null
      };
    } catch (error) {
      return null;
    }
  }

  function link(href, text, className) {
    var a = document.createElement("a");
    a.href = href;
    a.textContent = text;
    if (className) a.className = className;
    return a;
  }

  function path(relative) { return new URL(relative, document.baseURI).pathname; }

  function render(box) {
    var reader = who();
    var data = box.dataset;
    var login = data.login + "?next=" + encodeURIComponent(location.pathname);
    var logout = data.logout + "?next=" + encodeURIComponent(path(data.languageRoot));
    // Staff land on the customer overview: named so, not "your company's page".
    var homeText = reader && reader.home && reader.home === path(data.staffHome) ? data.textStaffHome : data.textHome;
    if (reader) {
      var name = document.createElement("span");
      name.className = "extranet-who__name";
      name.textContent = reader.company ? reader.name + ", " + reader.company : reader.name;
      name.title = name.textContent;
      box.appendChild(name);
      if (reader.home) box.appendChild(link(reader.home, homeText, "extranet-who__home"));
      box.appendChild(link(logout, data.textLogout, "extranet-who__logout"));
    } else if (data.audience !== "public") {
      box.appendChild(link(logout, data.textLogout, "extranet-who__logout"));
    } else {
      box.appendChild(link(login, data.textLogin, "extranet-who__login"));
    }
    box.hidden = false;
    // The home page's login button (it leads to the reader's page after login): a logged-in reader
    // gets a link to that page instead.
    var buttons = document.querySelectorAll("a.extranet-login");
    for (var i = 0; i < buttons.length; i++) {
      if (reader && reader.home) {
        buttons[i].href = reader.home;
        buttons[i].textContent = reader.company && homeText === data.textHome ? homeText + ": " + reader.company : homeText;
      }
    }
  }

  var box = document.querySelector(".extranet-who");
  if (box) render(box);
})();
