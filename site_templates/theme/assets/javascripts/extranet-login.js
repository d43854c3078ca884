// extranet: the login page's form. The login name and password go to the server's login/ as HTTP
// Basic credentials in one request (fetch); the server answers with a session cookie and a redirect
// (followed here), 401 for a wrong login or password, 429 when too many attempts came from this
// address. The browser never stores the password itself, so deleting the cookie at logout ends the
// session. X-Requested-With asks the server to leave out WWW-Authenticate on a 401: with it, the
// browser would pop up its own password prompt over this page.
(function () {
    "use strict";
    var form = document.querySelector("form.extranet-login");
    if (!form) {
        return;
    }
    var error = form.querySelector(".extranet-login__error");

    function show(text) {
        error.textContent = text;
        error.hidden = false;
    }

    // btoa takes Latin-1 only: encode the UTF-8 bytes of the credentials first.
    function basic(login, password) {
        var bytes = new TextEncoder().encode(login + ":" + password);
        var binary = "";
        bytes.forEach(function (b) { binary += String.fromCharCode(b); });
        return "Basic " + btoa(binary);
    }

    form.addEventListener("submit", function (event) {
        event.preventDefault();
        error.hidden = true;
        var login = form.querySelector("#extranet-login-name").value.trim();
        var password = form.querySelector("#extranet-login-password").value;
        var next = new URLSearchParams(window.location.search).get("next");
        var url = new URL(form.dataset.action, window.location.href);
        if (next) {
            url.search = "?next=" + encodeURIComponent(next);
        }
        var button = form.querySelector("button");
        button.disabled = true;
        fetch(url.href, {
            headers: {"Authorization": basic(login, password), "X-Requested-With": "extranet-login"},
            credentials: "same-origin", cache: "no-store", redirect: "follow"
        }).then(function (response) {
            button.disabled = false;
            if (response.redirected) {
                window.location.assign(response.url);
            } else if (response.status === 401) {
                show(form.dataset.textWrong);
            } else if (response.status === 429) {
                show(form.dataset.textLimited);
            } else {
                show(form.dataset.textFailed.replace("{status}", String(response.status)));
            }
        }, function () {
            button.disabled = false;
            show(form.dataset.textOffline);
        });
    });
}());
