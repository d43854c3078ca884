"""Credentials: add users, give them new passwords, remove them and revoke customers, in customers.yaml.

customers.yaml is the maintainers' own text, so it is edited as a round trip (ruamel.yaml): every
comment, key order, quote and flow or block style outside the edited entry stays byte for byte, and
a new entry takes the style of its siblings. Passwords are generated here with `secrets`, returned
for the caller to show once, and stored only as bcrypt hashes; nothing secret is logged or raised.

An edit is refused, and the file left untouched, when it could go wrong: the project is invalid
already (except for a new customer's `users: []`, which adding its first user fixes), the edited
file would not pass `extranet validate`, or ruamel would change more than the edited entry (a file
it cannot reproduce exactly, a comment it would move). The new text is written to a temporary file
beside the old one, validated with the whole project and moved into place (`atomic.write_atomically`) with the
old file's mode, so readers see the old file or the new one, never a mix.
"""

from __future__ import annotations

import dataclasses
import difflib
import getpass
import io
import json
import re
import secrets
from pathlib import Path
from typing import Any, TextIO

import bcrypt
from pydantic import TypeAdapter, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import CommentMark, YAMLError
from ruamel.yaml.scalarstring import DoubleQuotedScalarString
from ruamel.yaml.tokens import CommentToken

from .atomic import write_atomically
from .building import load_site_config, plugin_config, validate
from .exceptions import ExtranetError
from .loading import InvalidInput, Problem, _suggest
from .model import Email, Login

COST = 12
"""bcrypt cost of new hashes (the model accepts 10 and more)."""
ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789"
"""URL-safe letters and digits without the look-alikes 0/O/o and 1/l/I."""
LENGTH = 20
"""Generated passwords: 20 characters of 56, about 116 bits."""
MIN_LENGTH = 12
"""A password given on standard input must have at least this many characters..."""
MAX_BYTES = 72
"""...and at most this many UTF-8 bytes, all bcrypt reads."""

FIELDS = ("login", "name", "email", "password_hash")


class EditRefused(ExtranetError):
    """The edit was not made; the message (one line, never a password) says why."""


@dataclasses.dataclass(frozen=True)
class Change:
    """What an edit did, for the command to report."""

    summary: str
    customer: str | None = None
    """The customer edited; None for vendor staff."""
    login: str | None = None
    password: str | None = None
    """A generated password, to be shown once; None when it came from standard input."""

    def report(self) -> str:
        if self.password is None:
            return self.summary
        return (
            f"{self.summary}\npassword for {_who(self.customer, self.login)}: {self.password}\n"
            "It is shown only now: only its bcrypt hash is stored."
        )

    def json(self) -> str:
        return json.dumps(
            {"customer": self.customer, "login": self.login, "password": self.password}, ensure_ascii=False
        )


def _who(customer: str | None, login: str | None) -> str:
    return f"staff {login}" if customer is None else f"{customer}/{login}"


# --- Passwords ---------------------------------------------------------------------------------


def generate_password() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def hash_password(password: str) -> str:
    return bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt(COST)).decode("ascii")


def read_password(stream: TextIO) -> str:
    """A password for `--password-stdin`: one line (a final newline is dropped), prompted without
    echo when standard input is a terminal."""
    if stream.isatty():
        password = getpass.getpass("password: ")
    else:
        password = stream.read()
        password = password.removesuffix("\n")
        password = password.removesuffix("\r")
    if "\n" in password or "\r" in password:
        raise EditRefused("the password on standard input has more than one line")
    if len(password) < MIN_LENGTH:
        raise EditRefused(f"the password on standard input is too short (at least {MIN_LENGTH} characters)")
    if len(password.encode("utf-8")) > MAX_BYTES:
        raise EditRefused(f"the password on standard input is too long (bcrypt reads at most {MAX_BYTES} bytes)")
    return password


# --- The operations ----------------------------------------------------------------------------


def add_user(
    config_file: Path, customer: str | None, login: str, *, name: str, email: str, password: str | None = None
) -> Change:
    """Add a user to `customer` (None: vendor staff) with `password`, or a generated one."""
    name, email = name.strip(), email.strip()
    _check(Login, login, "")
    _check(Email, email, "--email: ")
    if not name:
        raise EditRefused("--name is empty (expected the user's full name)")
    document = _Document.open(config_file, first_user_of=customer)
    index = document.customer_index(customer) if customer is not None else None  # None: staff
    owner = document.owners().get(login, False)
    if owner is not False:
        where = "vendor staff" if owner is None else f"customer '{owner}'"
        raise EditRefused(f"login '{login}' is already used by {where} (a login is unique across {document.name})")
    generated = password is None
    password = generate_password() if password is None else password
    values = {"login": login, "name": name, "email": email, "password_hash": hash_password(password)}
    vendor = document.data["vendor"]
    if customer is None and "staff" not in vendor:
        _insert(vendor, len(vendor), "staff", CommentedSeq([_entry_like(document.any_user(), values)]))
    else:
        users = vendor["staff"] if customer is None else document.data["customers"][index]["users"]
        if users:
            entry = _entry_like(users[-1], values)
            detached = _detach_trailing(users, len(users) - 1)
            users.append(entry)
            _attach_trailing(users, len(users) - 1, detached)
        else:  # `staff: []`
            users.fa.set_block_style()
            users.append(_entry_like(document.any_user(), values))
    document.save()
    revoked = customer is not None and document.data["customers"][index].get("access") == "revoked"
    return Change(
        f"added {_who(customer, login)} to {document.name}; "
        + (
            "the customer's access is revoked, so they cannot log in until `extranet customer restore`"
            if revoked
            else "they can log in after the next deploy"
        ),
        customer,
        login,
        password if generated else None,
    )


def set_password(config_file: Path, login: str, *, staff: bool, password: str | None = None) -> Change:
    """Replace the password of `login` (a customer's user, or staff) with `password` or a generated one."""
    document = _Document.open(config_file)
    customer, users, index = document.find(login, staff=staff, action="passwd")
    generated = password is None
    password = generate_password() if password is None else password
    _replace(users[index], "password_hash", hash_password(password))
    document.save()
    return Change(
        f"new password for {_who(customer, login)} in {document.name}; it works after the next deploy",
        customer,
        login,
        password if generated else None,
    )


def remove_user(config_file: Path, login: str, *, staff: bool) -> Change:
    """Remove `login`; a customer keeps at least one user (revoke the customer to shut them all out)."""
    document = _Document.open(config_file)
    customer, users, index = document.find(login, staff=staff, action="remove")
    if customer is not None and len(users) == 1:
        raise EditRefused(
            f"'{login}' is the only user of customer '{customer}' (a customer needs at least one); "
            f"to shut the customer out, use `extranet customer revoke {customer}`"
        )
    if customer is None and len(users) == 1:
        _delete(document.data["vendor"], "staff")  # `staff` is optional: no key rather than `staff: []`
    else:
        _delete(users, index)
    document.save()
    return Change(
        f"removed {_who(customer, login)} from {document.name}; they lose access with the next deploy", customer, login
    )


def set_access(config_file: Path, customer: str, *, revoked: bool) -> Change:
    """Revoke a customer's access (`access: revoked`) or restore it (the key is removed: active)."""
    document = _Document.open(config_file)
    index = document.customer_index(customer)
    entry = document.data["customers"][index]
    users = f"{len(entry['users'])} user(s)"
    if (entry.get("access") == "revoked") == revoked:
        state = "revoked" if revoked else "active"
        return Change(f"customer '{customer}': access is already {state}; {document.name} was not changed", customer)
    if revoked and "access" in entry:
        _replace(entry, "access", "revoked")
    elif revoked:
        _insert(entry, list(entry).index("users"), "access", "revoked")
    else:
        _delete(entry, "access")
    document.save()
    if revoked:
        return Change(f"revoked customer '{customer}': its {users} lose access with the next deploy", customer)
    return Change(f"restored customer '{customer}': its {users} can log in again after the next deploy", customer)


def _check(kind: Any, value: str, prefix: str) -> None:
    try:
        TypeAdapter(kind).validate_python(value)
    except ValidationError as error:
        raise EditRefused(prefix + "; ".join(item["msg"] for item in error.errors(include_url=False))) from None


# --- The document ------------------------------------------------------------------------------

_INDENTS = ((2, 4, 2), (2, 2, 0), (4, 4, 2), (4, 6, 4), (4, 4, 0), (2, 4, 0), (3, 3, 0))
"""ruamel indentation settings (mapping, sequence, offset) tried until one reproduces the file."""


@dataclasses.dataclass
class _Document:
    """customers.yaml as a round-trip document of a valid project."""

    config_file: Path
    path: Path
    """The file written (a symbolic link's target)."""
    name: str
    """The file as messages name it."""
    root: Path
    raw: bytes
    """The file as read, to notice another edit meanwhile."""
    text: str
    """Its text with the line ends and the final newline ruamel writes."""
    newline: str
    yaml: YAML
    data: Any

    @classmethod
    def open(cls, config_file: Path, *, first_user_of: str | None = None) -> _Document:
        """Read customers.yaml for editing; the project must be valid (so its structure is known here),
        except that the customer `first_user_of` may have no users yet (`users: []`), as a new one does."""
        pending = None
        try:
            validate(config_file)
        except InvalidInput as error:
            if first_user_of is None or not all(_only_no_users_yet(problem) for problem in error.problems):
                raise
            pending = error
        options = plugin_config(load_site_config(config_file))
        root = config_file.resolve().parent
        name = _display(root / options.customers, root)
        path = (root / options.customers).resolve()
        raw = path.read_bytes()
        text = raw.decode("utf-8")  # the loader has read it as UTF-8 already
        newline = "\r\n" if "\r\n" in text else "\n"
        text = text.replace("\r\n", "\n")
        if "\r" in text or (newline == "\r\n" and raw.count(b"\n") != raw.count(b"\r\n")):
            raise EditRefused(f"{name}: its line ends are mixed; make them all the same, then run the command again")
        text = text if text.endswith("\n") else text + "\n"
        differs = 0
        for mapping, sequence, offset in _INDENTS:
            yaml = YAML()  # round-trip mode
            yaml.preserve_quotes = True
            yaml.width = 4096  # never re-wrap a long line
            yaml.indent(mapping=mapping, sequence=sequence, offset=offset)
            yaml.explicit_start = bool(re.match(r"(?:#.*\n|\s*\n)*---", text))
            try:
                data = yaml.load(text)
            except YAMLError as error:  # the project loader accepted it; ruamel should too
                raise EditRefused(f"{name}: ruamel.yaml cannot read it ({str(error).splitlines()[0]})") from None
            dumped = _dump(yaml, data)
            if dumped == text:
                document = cls(config_file, path, name, root, raw, text, newline, yaml, data)
                if (
                    pending is not None
                    and first_user_of is not None
                    and {problem.path for problem in pending.problems}
                    != {f"customers[{document.customer_index(first_user_of)}].users"}
                ):
                    raise pending
                return document
            differs = max(differs, _first_difference(text, dumped))
        raise EditRefused(
            f"{name}: it cannot be edited without reformatting it (line {differs} would change); edit it by hand"
        )

    def customer_index(self, customer: str) -> int:
        ids = [str(item["id"]) for item in self.data.get("customers") or ()]
        if customer not in ids:
            hint = _suggest(customer, ids) if ids else f"{self.name} has no customers"
            raise EditRefused(f"unknown customer '{customer}'; {hint}")
        return ids.index(customer)

    def owners(self) -> dict[str, str | None]:
        """Every login in the file and whose it is: a customer id, or None for vendor staff."""
        owners: dict[str, str | None] = {str(user["login"]): None for user in self.data["vendor"].get("staff") or ()}
        owners.update(
            (str(user["login"]), str(customer["id"]))
            for customer in self.data.get("customers") or ()
            for user in customer["users"]
        )
        return owners

    def find(self, login: str, *, staff: bool, action: str) -> tuple[str | None, CommentedSeq, int]:
        """The customer (None: staff), the list and the index of `login`, or a refusal that says where it is."""
        owners = self.owners()
        if login not in owners or (owners[login] is None) != staff:
            if login in owners:
                if owners[login] is None:
                    raise EditRefused(f"'{login}' is vendor staff; use `extranet staff {action} {login}`")
                raise EditRefused(
                    f"'{login}' is a user of customer '{owners[login]}'; use `extranet user {action} {login}`"
                )
            scope = [each for each, owner in owners.items() if (owner is None) == staff]
            close = difflib.get_close_matches(login, scope, n=1, cutoff=0.6)
            kind = "staff login" if staff else "login"
            raise EditRefused(f"unknown {kind} '{login}'" + (f"; did you mean '{close[0]}'?" if close else ""))
        customer = owners[login]
        if customer is None:
            users = self.data["vendor"]["staff"]
        else:
            users = self.data["customers"][self.customer_index(customer)]["users"]
        index = [str(entry["login"]) for entry in users].index(login)
        return customer, users, index

    def any_user(self) -> Any:
        """A user entry to copy the style of when the new one has no siblings."""
        for customer in self.data.get("customers") or ():
            for user in customer["users"]:
                return user
        return None

    def save(self) -> None:
        """Check the edit touched nothing else and keeps the project valid, then replace the file."""
        text = _dump(self.yaml, self.data)
        _check_only_the_entry_changed(self.text, text, self.name)
        mode = self.path.stat().st_mode & 0o7777

        def check(temporary: Path) -> None:
            try:
                validate(self.config_file, customers_file=str(temporary))
            except InvalidInput as error:
                shown = _display(temporary, self.root)
                raise InvalidInput(
                    dataclasses.replace(problem, file=self.name) if problem.file == shown else problem
                    for problem in error.problems
                ) from None
            if self.path.read_bytes() != self.raw:
                raise EditRefused(
                    f"{self.name} changed while it was being edited; nothing was written, run the command again"
                )

        write_atomically(self.path, text.replace("\n", self.newline), permissions=mode, check=check)


def _only_no_users_yet(problem: Problem) -> bool:
    return re.fullmatch(r"customers\[\d+\]\.users", problem.path) is not None and problem.message.startswith(
        "expected at least 1 item(s), found 0"
    )


def _display(path: Path, root: Path) -> str:
    """A file's name as the loader reports it."""
    return path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)


def _dump(yaml: YAML, data: Any) -> str:
    stream = io.StringIO()
    yaml.dump(data, stream)
    return stream.getvalue()


def _first_difference(old: str, new: str) -> int:
    for number, (a, b) in enumerate(zip(old.splitlines(), new.splitlines(), strict=False), start=1):
        if a != b:
            return number
    return min(len(old.splitlines()), len(new.splitlines())) + 1


def _is_comment_or_blank(line: str) -> bool:
    return not line.strip() or line.lstrip().startswith("#")


def _check_only_the_entry_changed(old: str, new: str, name: str) -> None:
    """The lines that differ must be the edited entry alone: no comment moved, dropped or added, no
    other line reformatted. A new entry starts right after its sibling, not after a comment that
    introduces what follows."""
    a, b = old.splitlines(keepends=True), new.splitlines(keepends=True)
    prefix = 0
    while prefix < min(len(a), len(b)) and a[prefix] == b[prefix]:
        prefix += 1
    suffix = 0
    while suffix < min(len(a), len(b)) - prefix and a[-1 - suffix] == b[-1 - suffix]:
        suffix += 1
    removed, added = a[prefix : len(a) - suffix], b[prefix : len(b) - suffix]
    misplaced = not removed and prefix > 0 and _is_comment_or_blank(b[prefix - 1])
    if min(len(removed), len(added)) > 1 or misplaced or any(line.lstrip().startswith("#") for line in removed + added):
        raise EditRefused(
            f"{name}: the edit would also change line {prefix + 1} (a comment or the formatting "
            "around the entry); nothing was written, edit the file by hand"
        )


# --- Editing with comments kept in place -------------------------------------------------------
#
# ruamel.yaml keeps a comment with the node before it: the blank line and "# Support ENDED…" between
# two customers belong to the last scalar of the first one. A comment introduces what follows it, so
# when an entry is appended, removed or inserted, the comment lines after the old neighbour move to
# stay in front of what they introduce. An end-of-line comment stays on its line.


def _trailing(parent: Any, key: Any) -> tuple[tuple[dict[Any, Any], Any, int], list[Any]]:
    """Where ruamel keeps the comments after `parent[key]`: the slot after its last scalar (or flow
    collection), then the `end` of each block collection that ends there, innermost first."""
    blocks: list[Any] = []
    while True:
        value = parent[key]
        if not isinstance(value, (CommentedMap, CommentedSeq)) or not value or value.fa.flow_style():
            return (parent.ca.items, key, 0 if isinstance(parent, CommentedSeq) else 2), blocks[::-1]
        blocks.append(value)
        parent, key = value, next(reversed(value)) if isinstance(value, CommentedMap) else len(value) - 1


def _detach_trailing(parent: Any, key: Any) -> tuple[str, Any] | None:
    """Cut the comment lines after `parent[key]`, keeping an end-of-line comment; return them."""
    (items, slot, position), blocks = _trailing(parent, key)
    rest, mark = "", None
    entry: Any = items.get(slot)
    token = entry[position] if entry and len(entry) > position else None
    if isinstance(token, CommentToken):
        line_end, _, tail = token.value.partition("\n")
        if tail:
            rest, mark = tail, token.start_mark
            if line_end.strip():
                token.value = line_end + "\n"
            else:
                entry[position] = None
    for block in blocks:
        for token in block.ca.end:
            indent = "" if token.value.startswith("\n") else " " * token.start_mark.column
            rest, mark = rest + indent + token.value, mark or token.start_mark
        block.ca.end = []
    return (rest, mark) if rest else None


def _attach_trailing(parent: Any, key: Any, detached: tuple[str, Any] | None) -> None:
    """Put comment lines cut by `_detach_trailing` after `parent[key]` and what already trails it."""
    if detached is None:
        return
    already = _detach_trailing(parent, key)
    rest = (already[0] if already else "") + detached[0]
    (items, slot, position), _ = _trailing(parent, key)
    entry = items.setdefault(slot, [None, None, None, None])
    entry.extend([None] * (position + 1 - len(entry)))
    if isinstance(entry[position], CommentToken):
        entry[position].value += rest
    else:
        entry[position] = CommentToken("\n" + rest, detached[1], None)


def _replace(mapping: CommentedMap, key: str, value: str) -> None:
    """Replace a text value, keeping its quoting and the gap before its end-of-line comment."""
    old = mapping[key]
    mapping[key] = type(old)(value) if isinstance(old, str) and type(old) is not str else value
    entry = mapping.ca.items.get(key)
    token = entry[2] if entry and len(entry) > 2 else None
    if isinstance(token, CommentToken) and not token.value.startswith("\n") and token.start_mark is not None:
        # ruamel makes its comment tokens' marks CommentMarks too; its annotation names StreamMark only.
        token.start_mark = CommentMark(token.start_mark.column + len(value) - len(str(old)))  # type: ignore[assignment]


def _insert(mapping: CommentedMap, position: int, key: str, value: Any) -> None:
    """Insert a key; the comment lines before the next key stay in front of it."""
    keys = list(mapping)
    detached = _detach_trailing(mapping, keys[position - 1]) if position else None
    mapping.insert(position, key, value)
    _attach_trailing(mapping, key, detached)


def _delete(parent: CommentedMap | CommentedSeq, key: Any) -> None:
    """Delete an entry; the comment lines after it stay, now after the entry before it."""
    detached = _detach_trailing(parent, key)
    keys = list(parent) if isinstance(parent, CommentedMap) else list(range(len(parent)))
    position = keys.index(key)
    del parent[key]
    if detached is None:
        return
    if position:
        _attach_trailing(parent, keys[position - 1], detached)
    elif isinstance(parent, CommentedSeq):  # before the first item: a comment above the list
        lines = detached[0].splitlines(keepends=True)
        tokens = [
            CommentToken(line.lstrip(" "), CommentMark(len(line) - len(line.lstrip(" "))), None) for line in lines
        ]
        if parent.ca.comment is None:
            parent.ca.comment = [None, []]
        parent.ca.comment[1] = (parent.ca.comment[1] or []) + tokens
    # else: nothing before it to keep them after; `_check_only_the_entry_changed` refuses the edit


def _entry_like(sibling: Any, values: dict[str, str]) -> CommentedMap:
    """A new user entry in its sibling's style: key order, flow or block, quoting of each value."""
    order = list(sibling) if isinstance(sibling, CommentedMap) and sorted(sibling) == sorted(FIELDS) else FIELDS
    entry = CommentedMap()
    for key in order:
        style = (
            type(sibling[key])
            if isinstance(sibling, CommentedMap)
            else (DoubleQuotedScalarString if key == "password_hash" else str)
        )
        entry[key] = style(values[key]) if issubclass(style, str) and style is not str else values[key]
    if isinstance(sibling, CommentedMap) and sibling.fa.flow_style():
        entry.fa.set_flow_style()
    else:
        entry.fa.set_block_style()
    return entry


__all__ = [
    "Change",
    "EditRefused",
    "add_user",
    "generate_password",
    "hash_password",
    "read_password",
    "remove_user",
    "set_access",
    "set_password",
]
