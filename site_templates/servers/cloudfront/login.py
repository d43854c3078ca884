"""extranet: login and logout on CloudFront, an AWS Lambda function. Copied by `extranet build`; do not edit.

CloudFront sends exactly `<base>login/` and `<base>logout/` here (through a function URL that only the
distribution may call, signed with Origin Access Control); every other request is decided at the edge
by the viewer-request function, which checks the cookies this function sets. It behaves as nginx's
session.js does, from the same decisions, which the build wrote beside it:

- settings.json: the base path, the session lifetime, the rule for `?next=` (its raw characters and
  the pattern of the decoded value, `extranet.servers.safe_next`), the login page of each language
  (`extranet.servers.login_pages`), the realm, the dummy hash, the response headers, the cookies.
- accounts.json: each login's bcrypt hash, landing page and `extranet_who` value (no revoked
  customer's user, no removed user: such a login is unknown here, like a wrong password).
- pages/: the first language's login page and 401 page (the deploy copies them from the web root).

The password arrives as HTTP Basic credentials in `x-extranet-authorization` (the viewer-request
function moves them there: CloudFront's signature of the origin request takes `authorization`).
A login that is not known is checked against the dummy hash, so it takes as long as a wrong password.
Too many logins from one address are refused by the distribution's WAF rate rule, before this runs.

The session: `extranet_login`, `extranet_exp` (unix seconds) and `extranet_sig` (base64url without
padding of HMAC-SHA256, keyed with the session secret, of "<exp>:<login>"), plus `extranet_who` for
the pages' script. The secret comes from Secrets Manager (EXTRANET_SECRET_ARN, read once per cold
start) or, run locally, from EXTRANET_SESSION_SECRET; the deploy copies it into the KeyValueStore,
where the viewer-request function reads it.

Only the Python standard library, bcrypt (packaged with the function) and boto3 (in the Lambda
runtime) are used: this file runs as it is, with no extranet installed.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
import json
import os
import re
import sys
import time
import urllib.parse
from pathlib import Path
from typing import Any

import bcrypt

HERE = Path(__file__).resolve().parent
SETTINGS: dict[str, Any] = json.loads((HERE / "settings.json").read_text(encoding="utf-8"))
ACCOUNTS: dict[str, dict[str, str]] = json.loads((HERE / "accounts.json").read_text(encoding="utf-8"))
PAGES = Path(os.environ.get("EXTRANET_LOGIN_PAGES") or HERE / "pages")
"""The pages this function serves; EXTRANET_LOGIN_PAGES names another directory (a local run on the web root)."""

BASE: str = SETTINGS["base"]
LIFETIME: int = SETTINGS["lifetime"]
MIN_SECRET: int = SETTINGS["minimum_secret"]
NO_SECRET = f"The session secret is not set (at least {MIN_SECRET} characters); see README.md.\n"  # noqa: S105
_NEXT_RAW = re.compile("(?:[" + re.escape(SETTINGS["next_raw_chars"]) + "]|%[0-9A-Fa-f]{2})*")
_NEXT_PATH = re.compile(SETTINGS["next_pattern"])
_MALFORMED = re.compile(r"%(?![0-9A-Fa-f]{2})")
_BASIC = re.compile(r"Basic +([A-Za-z0-9+/]+=*) *", re.IGNORECASE)
_SECRETS: dict[str, str] = {}
"""The secret read from Secrets Manager, by ARN: once per cold start."""


# --- The rules of extranet.servers, as this function reads the query (tests compare both) ---------


def next_arg(query: str) -> str | None:
    """The raw value of `next=` (still percent-encoded), or None: none, or more than one. Its name
    is case-sensitive, as on every server."""
    values = [part[len("next=") :] for part in query.split("&") if part.startswith("next=")]
    return values[0] if len(values) == 1 else None


def safe_next(raw: str | None) -> str | None:
    """`extranet.servers.safe_next(raw, base)`: the path `?next=<raw>` may send the reader to, or None."""
    if not raw or not _NEXT_RAW.fullmatch(raw):
        return None
    decoded = urllib.parse.unquote_to_bytes(raw)
    if any(byte >= 0x80 for byte in decoded):
        return None
    text = decoded.decode("ascii")
    return text if _NEXT_PATH.fullmatch(text) else None


def login_page(query: str) -> str | None:
    """`extranet.servers.login_page(query, login_pages)`: the login page of another language, or None."""
    values = [part[len("next=") :] for part in query.split("&") if part.startswith("next=")]
    if len(values) != 1 or _MALFORMED.search(values[0]):
        return None
    decoded = urllib.parse.unquote_to_bytes(values[0]).decode("latin-1")
    return next((page for path, page in SETTINGS["login_pages"] if decoded.startswith(path)), None)


# --- Answers -------------------------------------------------------------------------------------


@functools.cache
def page(name: str) -> str:
    """A packaged page (`login/index.html`, `401.html`)."""
    return (PAGES / name).read_text(encoding="utf-8")


def answer(
    status: int,
    body: str = "",
    content_type: str = "text/plain; charset=utf-8",
    headers: dict[str, str] | None = None,
    cookies: list[str] | None = None,
) -> dict[str, Any]:
    """A function URL response (payload format 2.0), with the security and private headers."""
    every = dict(SETTINGS["security_headers"] + SETTINGS["private_headers"])
    return {
        "statusCode": status,
        "headers": {**every, "Content-Type": content_type, **(headers or {})},
        "cookies": cookies or [],
        "body": body,
        "isBase64Encoded": False,
    }


def redirect(location: str, cookies: list[str] | None = None) -> dict[str, Any]:
    return answer(302, headers={"Location": location}, cookies=cookies)


def refused(headers: dict[str, str]) -> dict[str, Any]:
    """401 with the site's page; the challenge unless the login page's script asked (`X-Requested-With`):
    the browser would pop up its own password prompt over the page."""
    challenge = {} if headers.get("x-requested-with") else {"WWW-Authenticate": f'Basic realm="{SETTINGS["realm"]}"'}
    return answer(401, page("401.html"), "text/html; charset=utf-8", challenge)


def cookie(name: str, value: str, max_age: int) -> str:
    attributes = SETTINGS["cookie_script_attributes" if name == SETTINGS["who_cookie"] else "cookie_attributes"]
    return f"{name}={value}; {attributes}; Max-Age={max_age}"


# --- The session secret ----------------------------------------------------------------------------


class SecretUnavailable(Exception):
    """The secret cannot be read: the message is the answer's body."""


def session_secret() -> str:
    """The secret that signs sessions: Secrets Manager's (EXTRANET_SECRET_ARN, cached), else
    EXTRANET_SESSION_SECRET; SecretUnavailable when it cannot be read or is shorter than 32."""
    arn = os.environ.get("EXTRANET_SECRET_ARN")
    if arn:
        if arn not in _SECRETS:
            import boto3  # in the Lambda runtime; not needed for a local run

            try:
                value = boto3.client("secretsmanager").get_secret_value(SecretId=arn)["SecretString"]
            except Exception as error:  # noqa: BLE001 (any failure is the same 500; the log says which)
                print(f"extranet: cannot read the session secret {arn}: {type(error).__name__}", file=sys.stderr)
                raise SecretUnavailable(
                    "The session secret cannot be read from Secrets Manager; see the function's log.\n"
                ) from None
            _SECRETS[arn] = value
        secret = _SECRETS[arn]
    else:
        secret = os.environ.get("EXTRANET_SESSION_SECRET", "")
    if len(secret) < MIN_SECRET:
        raise SecretUnavailable(NO_SECRET)
    return secret


def signature(secret: str, expires: str, login: str) -> str:
    digest = hmac.new(secret.encode("utf-8"), f"{expires}:{login}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


# --- login/ and logout/ ----------------------------------------------------------------------------


def credentials(header: str) -> tuple[str, bytes] | None:
    """(login, password) of HTTP Basic credentials, or None if they are not well-formed."""
    match = _BASIC.fullmatch(header)
    if not match:
        return None
    try:
        pair = base64.b64decode(match.group(1), validate=True)
    except (binascii.Error, ValueError):
        return None
    login, colon, password = pair.partition(b":")
    if not colon:
        return None
    try:
        return login.decode("utf-8"), password
    except UnicodeDecodeError:
        return None


def password_ok(account: dict[str, str] | None, password: bytes) -> bool:
    """bcrypt's check against the account's hash, or against the dummy hash (of the same cost) for
    a login that is not known, so that both take as long. bcrypt reads 72 bytes at most, as htpasswd."""
    hashed = (account["hash"] if account else SETTINGS["dummy_hash"]).encode("ascii")
    try:
        matches = bcrypt.checkpw(password[:72], hashed)
    except ValueError:  # a password bcrypt refuses (a NUL byte)
        return False
    return matches and account is not None


def login(query: str, headers: dict[str, str]) -> dict[str, Any]:
    """`<base>login/`: the login page without credentials, else a session for the right password."""
    authorization = headers.get("x-extranet-authorization", "")
    if not authorization:
        # A script (no Accept, or one without text/html: the distribution forwards Accept) gets the
        # challenge, as on every server: some send their credentials only when asked.
        if "text/html" not in headers.get("accept", ""):
            return refused(headers)
        elsewhere = login_page(query)
        if elsewhere:
            return redirect(f"{elsewhere}?{query}")
        return answer(200, page("login/index.html"), "text/html; charset=utf-8")
    try:
        secret = session_secret()
    except SecretUnavailable as error:
        return answer(500, str(error))
    pair = credentials(authorization)
    if pair is None:
        password_ok(None, b"")  # as long as any other refusal
        return refused(headers)
    name, password = pair
    account = ACCOUNTS.get(name)
    if not password_ok(account, password) or account is None:
        return refused(headers)
    expires = str(int(time.time()) + LIFETIME)
    values = (name, expires, signature(secret, expires, name))  # in the order of "session_cookies"
    cookies = [
        cookie(cookie_name, value, LIFETIME)
        for cookie_name, value in zip(SETTINGS["session_cookies"], values, strict=True)
    ]
    cookies.append(cookie(SETTINGS["who_cookie"], account["who"], LIFETIME))
    return redirect(safe_next(next_arg(query)) or account["landing"], cookies)


def logout(query: str) -> dict[str, Any]:
    """The four cookies go; the next protected page asks for the password again."""
    cookies = [cookie(name, "", 0) for name in [*SETTINGS["session_cookies"], SETTINGS["who_cookie"]]]
    return redirect(safe_next(next_arg(query)) or BASE, cookies)


def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    """The function URL's handler: an event of payload format 2.0 in, its response out."""
    path = event.get("rawPath") or ""
    query = event.get("rawQueryString") or ""
    headers = {name.lower(): value for name, value in (event.get("headers") or {}).items()}
    if path == f"{BASE}login/":
        return login(query, headers)
    if path == f"{BASE}logout/":
        return logout(query)
    return answer(404, "Not found.\n")
