"""Server files: the access decisions of `extranet.access`, expressed for nginx, Apache and Caddy.

The build writes them beside the web root, never inside it: credential files and configurations.
Each server gets a block to include on a real host (with the deploy paths from `mkdocs.yml`) and a
complete standalone configuration; `extranet serve` renders the same templates with local paths.

The templates decide nothing: they render `access.Table` (the rules), `landing`, `login_page` and
`safe_next` (where a login sends the reader), and write every value through the filter of their
syntax (`escaping.SERVER_FILTERS`). Rejected: per-server decisions in the templates (nginx's `next`
and login-page checks once disagreed with Apache's), and escaping in each template by hand.
"""

from __future__ import annotations

import collections
import dataclasses
import json
import os
import pwd
import re
import secrets
import shutil
import signal
import subprocess
import urllib.parse
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import jinja2

from . import access, errors, escaping, resources, storage
from .access import Area, Principal
from .exceptions import ExtranetError
from .loading import Extranet

SESSION_LIFETIME = 8 * 3600
"""Seconds a login lasts on servers with session cookies: a working day."""


@dataclasses.dataclass(frozen=True)
class Layout:
    """Where things are, as the server sees them."""

    site: str
    """The web root."""
    files: str
    """The server files (this directory's content): credentials, configurations."""
    runtime: str = "/run/extranet"
    """Writable directory for pid files and temporary files of standalone runs."""
    port: int = 8080
    base: str = "/"
    user: str | None = "www-data"
    """The user server workers run as, when started as root."""
    secret_file: str = "/etc/extranet/nginx-session.conf"  # noqa: S105 (a path)
    """nginx's session secret: outside the build, so it survives deploys and the build holds no secret."""
    downloads: str | None = None
    """local storage: the directory of artifacts served under `downloads/`; None when links go elsewhere."""
    download_secret_file: str = "/etc/extranet/nginx-downloads.conf"  # noqa: S105 (a path)
    """nginx's copy of the secret that signs download links (the build holds the other)."""

    @property
    def login_socket(self) -> str:
        """The local socket of nginx's password check (see nginx/extranet-http.conf): in `runtime`,
        which must exist on the host (Debian: `/etc/tmpfiles.d/extranet.conf`, see README.md)."""
        return f"{self.runtime}/nginx-login.sock"


_SEGMENT = re.compile(r"[A-Za-z0-9_~-][A-Za-z0-9._~-]*")


def base_path(site_url: str | None) -> str:
    """The path the site is served under: the path of `site_url` with a slash at each end; `/`
    without a site_url.

    It is written into nginx, Apache and Caddy files, regular expressions and signed download links,
    so it is held to plain segments (letters, digits, `.`, `_`, `~`, `-`; no dot segments, no
    percent-encoding) rather than escaped differently for each: `ValueError` says what is wrong."""
    path = urllib.parse.urlsplit(site_url or "").path or "/"
    segments = [segment for segment in path.split("/") if segment]
    bad = [segment for segment in segments if not _SEGMENT.fullmatch(segment)]
    if bad or "//" in path:
        raise ValueError(
            f"site_url: the path {path!r} cannot be served: use segments of letters, digits, "
            f"'.', '_', '~' and '-' (found {bad[0]!r})"
            if bad
            else f"site_url: the path {path!r} has an empty segment ('//')"
        )
    return "/" + "".join(f"{segment}/" for segment in segments)


def landing(extranet: Extranet, principal: Principal) -> str:
    """Where a user lands after logging in: their customer's page in its language; staff: the overview."""
    if principal.staff:
        return "staff/"
    customer = next(c for c in extranet.customers if c.id == principal.customer)
    return f"{extranet.url_prefix(customer.language)}customers/{customer.id}/"


# --- The one rule for `next` (where /login/ and /logout/ send the reader) ----------------------------
# Every server implements exactly this (nginx in session.js, Apache in session.lua, Caddy with a
# regexp on Go's decoding of the query); tests/test_next.py sends the same hostile values to all
# three. Rejected alternative: "starts with / but not //": it let CR/LF, NUL and broken encodings
# through to a Location header or an exception (a 500 that had already set the cookies).
NEXT_RAW_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$'()*,/:=?@"
"""What `next` may hold as sent, besides `%XX`: no `+` (a space to some decoders, a plus to others),
no `;` (Go drops such a parameter), nothing a browser would have percent-encoded itself."""
NEXT_PATH_CHARS = NEXT_RAW_CHARS + "%&+;#"
"""What the decoded value may hold: printable ASCII of URLs, without space, quotes, `<>`, `\\`, `{}`."""
_NEXT_RAW = re.compile(r"(?:[" + re.escape(NEXT_RAW_CHARS) + r"]|%[0-9A-Fa-f]{2})*")


def next_pattern(base: str) -> str:
    """The decoded `next` a server accepts, as a regular expression that JavaScript, Go (RE2) and
    Python read alike: the base path, then anything but a second `/` (`//host` is another site)."""

    def klass(chars: str) -> str:
        return "[A-Za-z0-9" + "".join("\\" + c if c in "-]\\^" else c for c in chars if not c.isalnum()) + "]"

    return f"^{escaping.regex_literal(base)}(?:{klass(NEXT_PATH_CHARS.replace('/', ''))}{klass(NEXT_PATH_CHARS)}*)?$"


def safe_next(raw: str | None, base: str = "/") -> str | None:
    """Where `?next=<raw>` (as it appears in the URL, still percent-encoded) may send the reader:
    a path of this site under `base`, or None (then the reader lands on their own page).

    The raw value must be printable ASCII from NEXT_RAW_CHARS and `%XX`; decoded once, it must be
    printable ASCII from NEXT_PATH_CHARS (so no control character, no backslash, no invalid or
    overlong UTF-8, no non-ASCII: the site's own paths arrive percent-encoded twice) and match
    `next_pattern(base)`. The decoded value is what goes into the Location header. A query with more
    than one `next=` has none (the servers' callers check that: Caddy would join the values)."""
    if not raw or not _NEXT_RAW.fullmatch(raw):
        return None
    decoded = urllib.parse.unquote_to_bytes(raw)
    if any(byte >= 0x80 for byte in decoded):
        return None
    text = decoded.decode("ascii")
    return text if re.fullmatch(next_pattern(base), text) else None


# --- The one rule for the login page's language (a browser without credentials at /login/) ---------
# nginx (session.js, elsewhere), Apache (session.lua, login) and Caddy (vars_regexp on Go's decoding)
# implement exactly this; tests/test_login.py sends the same values to all three.


def login_pages(extranet: Extranet, base: str) -> tuple[tuple[str, str], ...]:
    """(the path of a language, its login page) for each language but the first, whose login page
    is `login/` itself."""
    return tuple(
        (f"{base}{extranet.url_prefix(language)}", f"{base}{extranet.url_prefix(language)}login/")
        for language in extranet.languages[1:]
    )


_MALFORMED = re.compile(r"%(?![0-9A-Fa-f]{2})")


def login_page(query: str, pages: Iterable[tuple[str, str]]) -> str | None:
    """Where `login/?<query>` sends a browser without credentials: the login page of the language
    whose path the page it came from (`next`) lies under, or None (this login page).

    `next` as sent, decoded once: the first of `pages` whose path it starts with, case-sensitively.
    None when the query holds no `next`, more than one, or a `%` without two hex digits (Go drops
    such a parameter, so Caddy could not see it)."""
    values = [part[len("next=") :] for part in query.split("&") if part.startswith("next=")]
    if len(values) != 1 or _MALFORMED.search(values[0]):
        return None
    decoded = urllib.parse.unquote_to_bytes(values[0]).decode("latin-1")  # the paths hold no `+`
    return next((page for path, page in pages if decoded.startswith(path)), None)


# --- Who is logged in, for the pages' header (the cookie `extranet_who`) -------------------------


def who(extranet: Extranet, principal: Principal, base: str = "/") -> str:
    """The value of the cookie `extranet_who` for a login: percent-encoded JSON (as JavaScript's
    encodeURIComponent encodes) of the user's name, their company (staff: the vendor) and their own
    page. The pages' script shows it; no server trusts it for access. Encoded, it holds only
    `A-Za-z0-9-_.!~*'()%`, which every server's configuration syntax and every cookie carry as is,
    whatever a name in customers.yaml holds."""
    if principal.staff:
        company = extranet.vendor.name
    else:
        company = next(c.name for c in extranet.customers if c.id == principal.customer)
    value = {"name": principal.name, "company": company, "home": base + landing(extranet, principal)}
    return urllib.parse.quote(json.dumps(value, ensure_ascii=False, separators=(",", ":")), safe="!~*'()")


# --- Unknown logins take as long as wrong passwords -------------------------------------------

DUMMY_LOGIN = "~unknown"
"""nginx and Apache check a login they do not know as this one: never a real login (logins start
with a lowercase letter or digit), present in htpasswd with a hash of the same cost as real ones, so
a wrong password takes as long for an unknown login as for a known one."""
DUMMY_HASHES = {
    10: "$2b$10$7c7mFIVC1qn74ZCUbZyUle6y2wKYf/M/U/mZklQxGn4icn6R9TJQq",
    11: "$2b$11$CBXH3VX0kyuK53b5FDdPw.5MY3LQ98jCMum84ScO6qhI8JDqNmKUe",
    12: "$2b$12$ILRQzwASd3TCMIxUoDHCIe.D53uQNS5zAT/qiVBMUXRIYOl/OTfLu",
    13: "$2b$13$z8GEv2eh440ZoRBwMP1LMO9A8zs1Uf08a249xQMuQuIp.Kv80W4JK",
    14: "$2b$14$4nRfIYcXnGpbthFTaK39B.o0nDKxAz50ThRPXuc/fUr0s12vRO9US",
}
"""bcrypt hashes of random passwords that were thrown away once hashed: nobody can log in with them
(and a login as DUMMY_LOGIN opens nothing anyway: no server gives it a session or an area). Constants,
not made per build, so that the same inputs still give byte-identical server files."""


def dummy_hash(people: Iterable[Principal]) -> str:
    """The dummy hash with the cost most real hashes have (capped at 14: a higher cost is the
    maintainer's own choice for a few accounts, and those stay told apart by timing)."""
    costs = collections.Counter(int(p.password_hash.split("$")[2]) for p in people)
    cost = max(costs.items(), key=lambda item: (item[1], item[0]))[0] if costs else 12
    return DUMMY_HASHES[min(max(cost, 10), 14)]


def template_environment(templates: Path) -> jinja2.Environment:
    env = jinja2.Environment(
        autoescape=False,  # noqa: S701 (server configuration, not HTML: per-syntax filters)
        loader=resources.loader(templates, "servers"),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(escaping.SERVER_FILTERS)
    return env


def headers(templates: Path) -> tuple[tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]]:
    """headers.j2's `security_headers` and `private_headers` (the project's file, else the packaged
    one): the one list every server's template and the CloudFront target send."""
    module: Any = template_environment(templates).get_template("headers.j2").module
    return (
        tuple((str(name), str(value)) for name, value in module.security_headers),
        tuple((str(name), str(value)) for name, value in module.private_headers),
    )


def render(extranet: Extranet, areas: Iterable[Area], templates: Path, layout: Layout) -> dict[str, str]:
    """Every server file, by its path under the server directory."""
    people = access.principals(extranet)
    # Per customer id, who may read that customer's area (staff first, then its users): grouped once
    # here, since filtering the principals per area in a template is quadratic in customers.
    staff = [p for p in people if p.staff]
    readers: dict[str, list[Principal]] = {}
    for principal in people:
        if not principal.staff:
            readers.setdefault(principal.customer, list(staff)).append(principal)  # type: ignore[arg-type]  # not staff: a customer's
    context = {
        "staff": staff,
        "readers": readers,
        "principals": people,
        "table": access.table(areas),
        "layout": layout,
        "site": layout.site,
        "files": layout.files,
        "runtime": layout.runtime,
        "port": layout.port,
        "base": layout.base,
        "secret_file": layout.secret_file,
        "downloads": layout.downloads,
        "download_secret_file": layout.download_secret_file,
        "login_socket": layout.login_socket,
        "landing": {p.login: landing(extranet, p) for p in people},
        "realm": escaping.realm(extranet.vendor.product),
        "session_lifetime": SESSION_LIFETIME,
        "who": {p.login: who(extranet, p, layout.base) for p in people},
        "dummy_login": DUMMY_LOGIN,
        "next_pattern": next_pattern(layout.base),
        "next_raw_chars": NEXT_RAW_CHARS,
        "next_path_chars": NEXT_PATH_CHARS,
        "login_pages": login_pages(extranet, layout.base),
        # Error pages: each status in each language; the first language's lie at the root, the
        # others' under their prefix (servers pick by the path asked for).
        "error_statuses": errors.STATUSES,
        "download_403": errors.DOWNLOAD_403,
        "error_prefixes": [extranet.url_prefix(language) for language in extranet.languages[1:]],
    }
    env = template_environment(templates)
    files = {
        "htpasswd": "".join(f"{p.login}:{p.password_hash}\n" for p in people) + f"{DUMMY_LOGIN}:{dummy_hash(people)}\n"
    }
    for kind in KINDS.values():
        for name, template in kind.files.items():
            template, _, variant = template.partition(":")
            files[f"{kind.name}/{name}"] = env.get_template(f"{kind.name}/{template}").render(
                context, private=variant == "private"
            )
    return files


CREDENTIALS = frozenset({"htpasswd", "caddy/accounts.caddy", "cloudfront/login/accounts.json"})
"""The server files that hold password hashes."""


def write(directory: Path, files: dict[str, str]) -> None:
    """Write the server files; credentials readable by their owner only."""
    for name, content in files.items():
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
        os.chmod(path, 0o600 if name in CREDENTIALS else 0o644)


# --- Running a real server locally -------------------------------------------------------------


class ServerMissing(ExtranetError, RuntimeError):
    """The server program is not installed; the message says which package to install."""


@dataclasses.dataclass(frozen=True)
class Kind:
    """One web server: the files it needs and how to run it standalone."""

    name: str
    files: dict[str, str]
    """Output file (under `<server dir>/<name>/`) -> template (under `site_templates/servers/<name>/`)."""
    program: str
    packages: str
    """Debian packages that provide it, for the message when it is missing."""
    arguments: tuple[str, ...]
    """Arguments of a standalone run; `{runtime}` and `{files}` are replaced."""
    environment: tuple[str, ...] = ()
    """`NAME=value` settings for a standalone run (given through `env`); `{runtime}` is replaced."""
    as_root: tuple[str, ...] = ()
    """Command prefix of a standalone run started as root, for servers that refuse to serve as root."""
    check: tuple[str, ...] = ()
    """Arguments that test the standalone configuration without serving; `{runtime}`, `{files}` replaced."""
    reload: tuple[str, ...] = ()
    """The command that makes the host's running server re-read its configuration after a deploy."""
    group: str = "www-data"
    """The group the host's server processes run as (Debian's packages): they read the credentials."""
    credentials: tuple[str, ...] = ("htpasswd",)
    """The credential files (of `CREDENTIALS`) this server reads."""


KINDS = {
    kind.name: kind
    for kind in (
        Kind(
            "nginx",
            {
                "extranet-http.conf": "http.conf.j2",
                "extranet-server.conf": "server.conf.j2",
                "standalone.conf": "standalone.conf.j2",
                "session.js": "session.js.j2",
                "headers-public.conf": "headers.conf.j2",
                "headers-private.conf": "headers.conf.j2:private",
            },
            "nginx",
            "nginx libnginx-mod-http-js",
            ("-p", "{runtime}", "-c", "{files}/nginx/standalone.conf"),
            check=("-t", "-q", "-e", "stderr", "-p", "{runtime}", "-c", "{files}/nginx/standalone.conf"),
            reload=("nginx", "-s", "reload"),
        ),
        # Caddy keeps its autosaved config (with the hashes) and its data under $HOME or $XDG_*: the runtime.
        Kind(
            "caddy",
            {
                "extranet.caddy": "extranet.caddy.j2",
                "accounts.caddy": "accounts.caddy.j2",
                "extranet-log.caddy": "log.caddy.j2",
                "standalone.caddy": "standalone.caddy.j2",
                "fail2ban-filter.conf": "fail2ban-filter.conf.j2",
                "fail2ban-jail.conf": "fail2ban-jail.conf.j2",
            },
            "caddy",
            "caddy",
            ("run", "--adapter", "caddyfile", "--config", "{files}/caddy/standalone.caddy"),
            ("HOME={runtime}", "XDG_CONFIG_HOME={runtime}/config", "XDG_DATA_HOME={runtime}/data"),
            check=("validate", "--adapter", "caddyfile", "--config", "{files}/caddy/standalone.caddy"),
            reload=("caddy", "reload", "--config", "/etc/caddy/Caddyfile", "--adapter", "caddyfile"),
            group="caddy",
            credentials=("caddy/accounts.caddy",),
        ),
        Kind(
            "apache",
            {
                "extranet.conf": "extranet.conf.j2",
                "standalone.conf": "standalone.conf.j2",
                "session.lua": "session.lua.j2",
                "fail2ban-jail.conf": "fail2ban-jail.conf.j2",
            },
            "apache2",
            "apache2",
            ("-d", "{runtime}", "-f", "{files}/apache/standalone.conf", "-D", "FOREGROUND"),
            # httpd will not serve as root: run it as nobody, able to read the (root-owned, private) files.
            as_root=(
                "setpriv",
                "--reuid=nobody",
                "--regid=nogroup",
                "--clear-groups",
                "--inh-caps=-all,+dac_override,+net_bind_service",
                "--ambient-caps=-all,+dac_override,+net_bind_service",
                "--bounding-set=-all,+dac_override,+net_bind_service",
            ),
            check=("-t", "-d", "{runtime}", "-f", "{files}/apache/standalone.conf"),
            reload=("apachectl", "graceful"),
        ),
    )
}
SERVERS = tuple(KINDS)


def command(server: str, runtime: Path) -> list[str]:
    kind = KINDS[server]
    executable = program(server)
    settings = [setting.format(runtime=runtime) for setting in kind.environment]
    prefix = [*(kind.as_root if os.getuid() == 0 else ()), *(["env", *settings] if settings else [])]
    return [
        *prefix,
        executable,
        *(argument.format(runtime=runtime, files=runtime / "files") for argument in kind.arguments),
    ]


def program(server: str) -> str:
    """The server's executable; `ServerMissing` names the package to install."""
    kind = KINDS[server]
    found = shutil.which(kind.program) or shutil.which(kind.program, path="/usr/sbin:/usr/bin:/sbin:/bin")
    if found is None:
        raise ServerMissing(f"{kind.program} is not installed (Debian: apt-get install {kind.packages})")
    return found


def check_command(server: str, runtime: Path, files: Path) -> tuple[list[str], dict[str, str]]:
    """The command (and its extra environment) that tests the standalone configuration under `files`.

    Nothing is served and no port is bound; `runtime` is a writable stand-in for the run directory."""
    kind = KINDS[server]
    environment = dict(setting.format(runtime=runtime).split("=", 1) for setting in kind.environment)
    # httpd reads the secrets from the environment; its test needs values, not the real ones.
    test_secret = "configuration-test-only-" + "x" * 32
    environment["EXTRANET_SESSION_SECRET"] = environment["EXTRANET_DOWNLOAD_SECRET"] = test_secret
    return [program(server), *(argument.format(runtime=runtime, files=files) for argument in kind.check)], environment


def _secret_file(path: Path, variable: str, secret: str) -> Path:
    """An nginx include that sets `$variable` to `secret`, readable by its owner only."""
    if any(ch in secret for ch in '"\\$') or not secret.isprintable():
        raise ValueError(f"${variable}: the secret must be printable, without quotes, backslashes or dollars")
    if len(secret) < storage.MIN_SECRET:
        raise ValueError(
            f"${variable}: the secret must hold at least {storage.MIN_SECRET} characters (it holds "
            f"{len(secret)}); make one with: {storage.MAKE_SECRET}"
        )
    path.write_text("", encoding="utf-8")
    os.chmod(path, 0o600)
    path.write_text(f'map "" ${variable} {{ default "{secret}"; }}\n', encoding="utf-8")
    return path


_SECRET_IN_FILE = re.compile(r'default\s+"([^"]*)"')


def weak_secret_file(path: Path) -> str | None:
    """What is wrong with a host's nginx secret file (`map "" $x { default "<secret>"; }`), or None.

    A missing or unreadable file is nginx's to report when the configuration is tested; a short or
    empty secret nginx would accept, and with it a session or download link anyone can sign."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    found = _SECRET_IN_FILE.search(text)
    length = len(found.group(1)) if found else 0
    if length >= storage.MIN_SECRET:
        return None
    return (
        f"{path}: the secret must hold at least {storage.MIN_SECRET} characters (it holds {length}); make one "
        f"with: {storage.MAKE_SECRET}"
    )


def prepare(
    server: str,
    extranet: Extranet,
    areas: Iterable[Area],
    templates: Path,
    site: Path,
    runtime: Path,
    port: int,
    secret: str,
    downloads: Path | None = None,
    download_secret: str = "",
    base: str = "/",
) -> list[str]:
    """Render the server files for a local run in `runtime` and return the command that starts the server.

    `secret` signs sessions and `download_secret` download links (served from `downloads`, if
    given): nginx reads them from files written here, Apache from the environment (`run` passes it).
    `base` is the path the site is served under: the build's (its `access.json`), which its download
    links are signed for."""
    files_dir = runtime / "files"
    runtime.mkdir(parents=True, exist_ok=True)
    secret_file = _secret_file(runtime / "nginx-session.conf", "extranet_secret", secret)
    download_file = Path(Layout.download_secret_file)  # included only when there are downloads to check
    if downloads is not None:
        download_file = _secret_file(runtime / "nginx-downloads.conf", "extranet_download_secret", download_secret)
    for sub in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (runtime / sub).mkdir(parents=True, exist_ok=True)
    # Absolute, not resolved: a deploy's `current` symlink is followed per request, never pinned.
    layout = Layout(
        site=os.path.abspath(site),
        files=str(files_dir.resolve()),
        runtime=str(runtime.resolve()),
        port=port,
        base=base,
        user=pwd.getpwuid(os.getuid()).pw_name if os.getuid() == 0 else None,
        secret_file=str(secret_file.resolve()),
        downloads=str(downloads.resolve()) if downloads else None,
        download_secret_file=str(download_file.resolve()),
    )
    write(files_dir, render(extranet, areas, templates, layout))
    return command(server, runtime)


def session_secret() -> str:
    return secrets.token_urlsafe(48)


def environment(secret: str, download_secret: str = "") -> dict[str, str]:
    """The environment of a standalone server: Apache reads both secrets from it."""
    return {**os.environ, "EXTRANET_SESSION_SECRET": secret, "EXTRANET_DOWNLOAD_SECRET": download_secret}


RELOAD_SIGNALS = {"nginx": signal.SIGHUP, "apache": signal.SIGUSR1}
"""How a standalone server re-reads its rewritten files without dropping a connection: nginx's master
on HUP, httpd's graceful restart on USR1 (the processes `command` starts are the masters: `env` and
`setpriv` exec them). Caddy's standalone configuration turns its admin API off, which `caddy reload`
needs, and `--watch` sees only the top file, not the imported accounts: Caddy is restarted."""
POLL = 0.5
"""Seconds between two looks for a rebuild while serving."""


def run(
    cmd: list[str],
    secret: str,
    download_secret: str = "",
    *,
    server: str | None = None,
    rebuilt: Callable[[], bool] | None = None,
) -> int:
    """Run a server in the foreground until interrupted.

    `rebuilt`, called every `POLL` seconds, returns True once it has rewritten the server files for
    a new build: the `server` is then reloaded (`RELOAD_SIGNALS`) or restarted."""
    env = environment(secret, download_secret)
    process = subprocess.Popen(cmd, env=env)  # noqa: S603 (the argv of command(), no shell)
    # SIGTERM to us stops the server too, instead of leaving it running without its runtime directory.
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: process.send_signal(signal.SIGTERM))
    try:
        while True:
            try:
                return process.wait(timeout=POLL if rebuilt else None)
            except subprocess.TimeoutExpired:
                if rebuilt is not None and rebuilt():
                    process = _reload(server, process, cmd, env)
    except KeyboardInterrupt:
        process.send_signal(signal.SIGTERM)
        return process.wait()
    finally:
        signal.signal(signal.SIGTERM, previous)


def _reload(
    server: str | None, process: subprocess.Popen[bytes], cmd: list[str], env: dict[str, str]
) -> subprocess.Popen[bytes]:
    """The running server, told to re-read its files; or a new one in its place."""
    reload = RELOAD_SIGNALS.get(server or "")
    if reload is not None:
        process.send_signal(reload)
        return process
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:  # open connections outlast the grace period: end them
        process.kill()
        process.wait()
    return subprocess.Popen(cmd, env=env)  # noqa: S603 (the argv of command(), no shell)
