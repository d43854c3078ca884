"""The viewer-request CloudFront Function and its KeyValueStore's data.

The function (`site_templates/servers/cloudfront/viewer-request.js.j2`, runtime cloudfront-js-2.0)
runs on every request at the edge: it maps the path to its row of `access.Table`, checks the session
cookies the login function set, and lets the request through to the bucket, sends the visitor to the
login, or rewrites the request to a key the bucket refuses (the site's 403 page). It holds no rule
and no user: `entries` puts both into the KeyValueStore, so the code stays the same size whatever
the site's size (CloudFront limits code to 10 KB, the store to 5 MB), and a user removed or a
customer revoked takes effect when the deploy updates the store, without publishing new code.

One place encodes the store's keys and values (`rule_entries`, `user_entries`): the build writes
them to `kvs.json`, the deploy sends them, the tests read them back. The session secret is never
among them: the deploy puts it under `SECRET_KEY` from Secrets Manager, and no file of the build
holds it.

Rejected: the rule table as a JavaScript object in the code (10 KB holds a few hundred rows at
most, and every user change would publish new code); the users' bcrypt hashes in the store (the
function cannot run bcrypt within its compute budget, and the hashes would sit at every edge);
regular expressions of the rows (the store answers exact keys: one lookup per candidate prefix is
the table's own order, longest first).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from extranet import access, servers
from extranet.exceptions import ExtranetError

if TYPE_CHECKING:
    from extranet.access import Principal, Rule, Table
    from extranet.loading import Extranet

CODE = "viewer-request.js"
"""The function's code, under the target's directory."""
DATA = "kvs.json"
"""The KeyValueStore's data (CloudFront's import format), under the target's directory."""
TEMPLATE = "cloudfront/viewer-request.js.j2"
"""The function's template, under `site_templates/servers/` (a project may override it)."""
KVS_MARKER = "__EXTRANET_KVS_ID__"
"""Stands for the KeyValueStore's id in the code (`cf.kvs('__EXTRANET_KVS_ID__')`): the template
(stack.py) joins the code around it with the store's id; the tests put their own."""

CODE_LIMIT = 10240
"""Bytes of a CloudFront Function's code: the quota on a function's size, 10 KB.
https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cloudfront-limits.html#limits-functions"""
KEY_LIMIT = 512
"""Bytes of a KeyValueStore key (the import file's limit is "Key size - 512 characters"; counted in
UTF-8 bytes here, the stricter reading for paths with non-ASCII characters).
https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/kvs-with-functions-create-s3-kvp.html"""
VALUE_LIMIT = 1024
"""Bytes of a KeyValueStore value ("Value size - 1024 characters", counted in UTF-8 bytes).
https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/kvs-with-functions-create-s3-kvp.html"""
STORE_LIMIT = 5 * 1000 * 1000
"""Bytes of a whole KeyValueStore and of its import file ("File size - 5 MB"; the smaller reading of
MB). Measured on `kvs.json` as written, with room for the secret the deploy adds.
https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/kvs-with-functions-create-s3-kvp.html"""

SECRET_KEY = "secret"  # noqa: S105 (the key's name; its value never leaves Secrets Manager but to the store)
"""The key of the session secret in the store: put by the deploy only."""
SECRET_LENGTH = 64
"""The secret's length as the stack generates it (GenerateSecretString): the store keeps room for it."""
MINIMUM_SECRET = 32
"""A shorter secret makes every session invalid (the function) and every login fail (the login
function): a typo in a hand-set secret must not leave sessions forgeable by guessing it."""
EXACT, PREFIX, USER = "=", "^", "@"
"""Key prefixes: an exact row, a prefix row (the default is `^` alone), a login."""
STAFF_READER = "*"
"""A login's value for vendor staff (who read everything); a customer's user has the customer's id."""
COOKIES = ("extranet_login", "extranet_exp", "extranet_sig")
"""The session cookies, as nginx names them: login, expiry (Unix seconds), signature."""
MISSING = ".extranet-missing"
"""Under the base path: a key no upload holds, so the bucket answers 404 (the site's 404 page)."""
REFUSED = ".extranet-refused/403"
"""Under the base path: a key under the prefix the bucket policy denies to CloudFront, so the bucket
answers 403 (the site's 403 page)."""
REFUSED_PREFIX = REFUSED.rsplit("/", 1)[0] + "/"
"""The prefix of `REFUSED`, for the bucket policy's Deny (stack.py)."""


class EdgeLimitExceeded(ExtranetError, ValueError):
    """A key, a value, the store or the code beyond what CloudFront accepts; the message names it."""


def audience(rule: Rule) -> str:
    """A rule's value in the store: public, customers, staff or customer:<id>."""
    if rule.audience == access.CUSTOMER:
        return f"customer:{rule.customer}"
    return rule.audience


def rule_entries(table: Table) -> dict[str, str]:
    """The rows of the table and its default, by key (`=path`, `^path`, `^`)."""
    entries = {(EXACT if row.exact else PREFIX) + row.path: audience(row) for row in table.rows}
    entries[PREFIX + table.default.path] = audience(table.default)
    for key, value in entries.items():
        _check(key, value, f"the path /{key[1:]}")
    return dict(sorted(entries.items()))


def user_entries(people: Sequence[Principal]) -> dict[str, str]:
    """Who may log in, by key (`@login`): `*` for staff, else the customer's id. Removed users and
    revoked customers' users are not among `people` (`access.principals`), so not in the store."""
    entries = {USER + p.login: STAFF_READER if p.staff else str(p.customer) for p in people}
    for key, value in entries.items():
        _check(key, value, f"the login '{key[1:]}'")
    return dict(sorted(entries.items()))


def entries(table: Table, people: Sequence[Principal]) -> dict[str, str]:
    """Everything the build puts into the store, sorted by key (never the secret)."""
    return dict(sorted({**rule_entries(table), **user_entries(people)}.items()))


def data(store: dict[str, str]) -> str:
    """The store's entries in CloudFront's import format, one entry a line, sorted by key."""
    lines = [json.dumps({"key": key, "value": value}, ensure_ascii=False) for key, value in sorted(store.items())]
    text = '{"data": [\n' + ",\n".join(lines) + "\n]}\n"
    room = len(json.dumps({"key": SECRET_KEY, "value": "x" * SECRET_LENGTH})) + 2
    size = len(text.encode("utf-8")) + room
    if size > STORE_LIMIT:
        raise EdgeLimitExceeded(
            f"the KeyValueStore data is {size} bytes (with the session secret); CloudFront allows {STORE_LIMIT} "
            f"per store: fewer users or access rules"
        )
    return text


def _check(key: str, value: str, what: str) -> None:
    size = len(key.encode("utf-8"))
    if size > KEY_LIMIT:
        raise EdgeLimitExceeded(
            f"{what} makes a KeyValueStore key of {size} bytes; CloudFront allows {KEY_LIMIT}: shorten it"
        )
    size = len(value.encode("utf-8"))
    if size > VALUE_LIMIT:
        raise EdgeLimitExceeded(
            f"{what} has a KeyValueStore value of {size} bytes ({value[:40]}…); CloudFront allows {VALUE_LIMIT}: "
            f"shorten the customer's id"
        )


def code(templates: Path, base: str) -> str:
    """The function's code, the store's id left as `KVS_MARKER`."""
    env = servers._environment(templates)
    headers = env.get_template("headers.j2").module
    text = env.get_template(TEMPLATE).render(
        base=base,
        answered=list(access.SERVER_ANSWERED),
        missing=MISSING,
        refused=REFUSED,
        security_headers=[[name.lower(), value] for name, value in headers.security_headers],  # type: ignore[attr-defined]
        private_headers=[[name.lower(), value] for name, value in headers.private_headers],  # type: ignore[attr-defined]
        cookie_names=list(COOKIES),
        minimum_secret=MINIMUM_SECRET,
    )
    size = len(text.encode("utf-8"))
    if size > CODE_LIMIT:
        raise EdgeLimitExceeded(
            f"{CODE} is {size} bytes; CloudFront Functions allow {CODE_LIMIT} bytes of code "
            f"(site_templates/servers/{TEMPLATE})"
        )
    return text


def files(extranet: Extranet, table: Table, people: Sequence[Principal], templates: Path, base: str) -> dict[str, str]:
    """The function's code and its KeyValueStore's data, by path under the server directory."""
    return {f"cloudfront/{CODE}": code(templates, base), f"cloudfront/{DATA}": data(entries(table, people))}
