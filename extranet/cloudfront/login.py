"""The login function (AWS Lambda, python3.12 on x86_64) and the files it is packaged with.

CloudFront sends `<base>login/` and `<base>logout/` to it; it checks the password against the bcrypt
hashes and sets the session cookies that the viewer-request function checks on every other request.
Its code is `site_templates/servers/cloudfront/login.py`, copied as it is (a project's own
`site_templates/servers/cloudfront/login.py` replaces it): plain Python that needs no extranet at
run time, only bcrypt (packaged with it) and boto3 (in the Lambda runtime).

Every decision it applies is taken here, by `extranet.servers`, and written to `settings.json`: the
base path, the session lifetime, the rule for `?next=` (its raw characters and the pattern of the
decoded value), the login page of each language, the realm, the dummy hash, the response headers
(`headers.j2`, one list for every target) and the cookies' attributes. The function re-implements
only the reading of the query by those rules (`safe_next`, `login_page`); tests/test_cloudfront_login.py
sends the same values through both. `accounts.json` holds each login's hash, landing page and
`extranet_who`, from `access.principals` (no revoked customer's user, no removed user).

Rejected: rendering the function's code from a Jinja template with the rules inlined (settings as
data keep the code byte-identical for every site, and testable by importing it), Lambda@Edge (a
cold start in every region, where a function URL behind the distribution needs one region), and a
password check in the viewer-request function (no bcrypt there, and no secret may reach its code).
"""

from __future__ import annotations

import base64
import hashlib
import importlib.metadata
import io
import json
import subprocess
import sys
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from extranet import escaping, resources, servers
from extranet.cloudfront import function
from extranet.exceptions import ExtranetError

if TYPE_CHECKING:
    from extranet.access import Principal
    from extranet.loading import Extranet

CODE = "login/index.py"
"""The function's code (handler `index.handler`), under the target's directory."""
SETTINGS = "login/settings.json"
"""The decisions the function applies, under the target's directory."""
ACCOUNTS = "login/accounts.json"
"""The login function's password hashes, under the target's directory: a credential file (0600)."""
SOURCE = "cloudfront/login.py"
"""The function's code, under `site_templates/servers/`."""
PAGES = ("login/index.html", "401.html")
"""The pages the function serves, from the web root (the first language's), packaged under `pages/`."""
RUNTIME = "python3.12"
ARCHITECTURE = "x86_64"
"""The Lambda runtime and architecture the package is made for (bcrypt's wheel is compiled for them)."""
HANDLER = "index.handler"
"""The function's handler: `handler` in the package's `index.py`."""
MEMORY = 1769
"""The function's memory in MB: Lambda gives CPU in proportion, one whole vCPU at 1,769 MB (AWS Lambda
Developer Guide, "Configure Lambda function memory"). A bcrypt check of cost 12 takes about 0.25 s on
one vCPU; at the default 128 MB it would take some 14 times as long."""
TIMEOUT = 10
"""The function's timeout in seconds: a login is one bcrypt check (and, once per cold start, one read
of the secret)."""
SECRET_ARN_VARIABLE = "EXTRANET_SECRET_ARN"  # noqa: S105 (a variable's name)
"""The function's environment variable that names the session secret in Secrets Manager."""
LOCAL_SECRET_VARIABLE = "EXTRANET_SESSION_SECRET"  # noqa: S105 (a variable's name)
"""Run locally (tests, the emulator), the secret itself, when SECRET_ARN_VARIABLE is not set."""
LOCAL_PAGES_VARIABLE = "EXTRANET_LOGIN_PAGES"
"""Run locally, a directory that holds the pages instead of the package's `pages/` (the web root)."""
PLATFORMS = ("manylinux_2_28_x86_64", "manylinux2014_x86_64")
"""The wheel platforms the runtime loads (Amazon Linux 2023, glibc 2.34): the newest first."""
SESSION_COOKIES = function.COOKIES
"""The session's cookies, as nginx names them: the login, its expiry (unix seconds), the signature."""
WHO_COOKIE = "extranet_who"
"""The cookie the pages' script reads (`servers.who`): no HttpOnly; nothing trusts it for access."""
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
"""Every member's time in the package: the same inputs give the same bytes (and the same sha256)."""


class PackagingFailed(ExtranetError, RuntimeError):
    """The login function cannot be packaged: a file of the build is missing, or bcrypt's wheel
    for the Lambda runtime cannot be had; the message says which and what to do."""


def _source(templates: Path) -> Path:
    """The function's code: the project's own, else the packaged one."""
    return next(place / SOURCE for place in resources.search_path(templates, "servers") if (place / SOURCE).is_file())


def _headers(templates: Path) -> tuple[list[list[str]], list[list[str]]]:
    """headers.j2's security and private headers (the one list every server's template reads)."""
    security, private = servers.headers(templates)
    return [list(pair) for pair in security], [list(pair) for pair in private]


def _json(data: object) -> str:
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def settings(extranet: Extranet, people: Sequence[Principal], templates: Path, base: str) -> dict[str, Any]:
    """What the function applies, each value as `extranet.servers` decides it."""
    security, private = _headers(templates)
    attributes = f"Path={base}; HttpOnly; Secure; SameSite=Lax"
    return {
        "base": base,
        "lifetime": servers.SESSION_LIFETIME,
        "minimum_secret": function.MINIMUM_SECRET,
        "next_raw_chars": servers.NEXT_RAW_CHARS,
        "next_pattern": servers.next_pattern(base),
        "login_pages": [list(pair) for pair in servers.login_pages(extranet, base)],
        "realm": escaping.realm(extranet.vendor.product),
        "dummy_hash": servers.dummy_hash(people),
        "security_headers": security,
        "private_headers": private,
        "session_cookies": list(SESSION_COOKIES),
        "who_cookie": WHO_COOKIE,
        "cookie_attributes": attributes,
        "cookie_script_attributes": attributes.replace("; HttpOnly", ""),
    }


def files(extranet: Extranet, people: Sequence[Principal], templates: Path, base: str) -> dict[str, str]:
    """The login function's code and data, by path under the server directory."""
    accounts = {
        p.login: {
            "hash": p.password_hash,
            "landing": base + servers.landing(extranet, p),
            "who": servers.who(extranet, p, base),
        }
        for p in people
    }
    return {
        f"cloudfront/{CODE}": _source(templates).read_text(encoding="utf-8"),
        f"cloudfront/{SETTINGS}": _json(settings(extranet, people, templates, base)),
        f"cloudfront/{ACCOUNTS}": _json(accounts),
    }


def package(server_dir: Path, site_dir: Path, wheels: Path) -> bytes:
    """The function's deployment package, a zip: its code and data (from `server_dir`, the build's
    `server/`), `pages/` (from `site_dir`, the web root) and the content of the bcrypt wheel(s) in
    `wheels` (`fetch_bcrypt`). Deterministic: members sorted, each with the same time and mode."""
    members: dict[str, bytes] = {}
    for name in (CODE, SETTINGS, ACCOUNTS):
        members[name.removeprefix("login/")] = _read(server_dir / "cloudfront" / name, "run `extranet build` first")
    for name in PAGES:
        members[f"pages/{name}"] = _read(site_dir / name, "run `extranet build` first")
    found = sorted(wheels.glob("bcrypt-*.whl")) if wheels.is_dir() else []
    if not found:
        raise PackagingFailed(f"{wheels}: no bcrypt wheel for the login function (extranet fetches it with pip)")
    for wheel in found:
        try:
            with zipfile.ZipFile(wheel) as archive:
                for info in archive.infolist():
                    if not info.is_dir():
                        members[info.filename] = archive.read(info)
        except (OSError, zipfile.BadZipFile) as error:
            raise PackagingFailed(f"{wheel}: not a readable wheel ({error})") from None
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in sorted(members):
            info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            info.create_system = 3  # unix: the mode below is read
            info.external_attr = (0o100755 if name.endswith(".so") else 0o100644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, members[name], compresslevel=9)
    return buffer.getvalue()


def code_sha256(package: bytes) -> str:
    """The package's digest as Lambda reports it (`CodeSha256`: base64 of the SHA-256): the deploy
    uploads the package only when it differs."""
    return base64.b64encode(hashlib.sha256(package).digest()).decode("ascii")


def _read(path: Path, hint: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise PackagingFailed(f"{path}: cannot be read ({error.strerror}); {hint}") from None


def fetch_bcrypt(directory: Path) -> Path:
    """Download bcrypt's wheel, at the version installed here, for the Lambda runtime (python3.12,
    manylinux x86_64) into `directory` with pip; returns `directory`. PackagingFailed if pip fails."""
    version = importlib.metadata.version("bcrypt")
    directory.mkdir(parents=True, exist_ok=True)
    platforms = [argument for platform in PLATFORMS for argument in ("--platform", platform)]
    command = [
        sys.executable, "-m", "pip", "download", f"bcrypt=={version}", "--dest", str(directory),
        "--only-binary=:all:", "--no-deps", "--implementation", "cp", "--python-version", "3.12", *platforms,
        "--quiet", "--disable-pip-version-check",
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603 (fixed arguments)
    if result.returncode != 0 or not any(directory.glob(f"bcrypt-{version}-*.whl")):
        lines = [line for line in (result.stderr or result.stdout).splitlines() if line.strip()]
        said = lines[-1].strip() if lines else f"exit status {result.returncode}, no wheel written"
        raise PackagingFailed(
            f"pip could not download bcrypt {version} for the login function "
            f"({RUNTIME}, {' or '.join(PLATFORMS)}): {said}"
        )
    return directory
