"""Users, passwords and access, edited in customers.yaml as a round trip: only the entry changes.

Every edit must leave the rest of the file byte for byte (comments, order, quoting, flow or block
style), store only a bcrypt hash, show a generated password once on stdout and nowhere else, and
never write a file that `extranet validate` would reject.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import stat
from pathlib import Path

import bcrypt
import pytest

from extranet import access, credentials
from extranet.building import validate
from extranet.cli import main

from .conftest import HASH, REPO, Project

ALPHA = f'      - {{login: alpha.one, name: Alice Alpha, email: alice@alpha.example, password_hash: "{HASH}"}}\n'
BETA = f'      - {{login: beta.one, name: Bob Beta, email: bob@beta.example, password_hash: "{HASH}"}}\n'
STAFF = f'    - {{login: staff.one, name: Staff One, email: staff@vendor.example, password_hash: "{HASH}"}}\n'


def run(project: Project | Path, capsys, *args: str) -> tuple[int, str, str]:
    config = project.config if isinstance(project, Project) else project / "mkdocs.yml"
    code = main(["-f", str(config), *args])
    out, err = capsys.readouterr()
    return code, out, err


def customers(root: Path) -> str:
    return (root / "customers.yaml").read_text(encoding="utf-8")


def password_in(out: str, who: str) -> str:
    match = re.search(rf"^password for {re.escape(who)}: (\S+)$", out, re.M)
    assert match, out
    return match.group(1)


def hash_of(text: str, login: str) -> str:
    match = re.search(rf'login: {re.escape(login)}\b.*?password_hash: "([^"]+)"', text, re.S)
    assert match, login
    return match.group(1)


def comments(text: str) -> list[str]:
    """Every comment in a YAML text (whole-line and end-of-line), in order; no '#' occurs in values here."""
    return [line[line.index("#"):] for line in text.splitlines() if "#" in line]


def stdin(text: str) -> io.TextIOWrapper:
    """Standard input as a process has it (MkDocs looks at `sys.stdin.buffer`)."""
    return io.TextIOWrapper(io.BytesIO(text.encode()), encoding="utf-8")


def logins(root: Path) -> set[str]:
    return {principal.login for principal in access.principals(validate(root / "mkdocs.yml"))}


# --- user add, passwd, remove --------------------------------------------------------------------

def test_add_user_prints_a_password_once_and_stores_only_its_hash(project, capsys):
    before = customers(project.root)
    code, out, err = run(project, capsys, "user", "add", "alpha", "alpha.two", "--name", "Anna Alpha",
                         "--email", "anna@alpha.example")
    assert (code, err) == (0, "")
    after = customers(project.root)
    password = password_in(out, "alpha/alpha.two")
    stored = hash_of(after, "alpha.two")
    new = f'      - {{login: alpha.two, name: Anna Alpha, email: anna@alpha.example, password_hash: "{stored}"}}\n'
    assert after == before.replace(ALPHA, ALPHA + new)  # the sibling's flow style; nothing else changed
    assert stored.startswith("$2b$12$") and bcrypt.checkpw(password.encode(), stored.encode())
    assert password not in after
    assert out.count(password) == 1
    assert out.splitlines() == [
        "added alpha/alpha.two to customers.yaml; they can log in after the next deploy",
        f"password for alpha/alpha.two: {password}",
        "It is shown only now: only its bcrypt hash is stored.",
    ]
    assert len(password) == 20 and set(password) <= set(credentials.ALPHABET)
    assert "alpha.two" in logins(project.root)
    assert sorted(p.name for p in project.root.iterdir()) == sorted(
        ["content", "customers.yaml", "mkdocs.yml", "releases", "site_templates", "storage"])  # no temporary file


def test_passwd_changes_only_that_hash(project, capsys):
    before = customers(project.root)
    code, out, _ = run(project, capsys, "user", "passwd", "beta.one")
    assert code == 0
    after = customers(project.root)
    stored = hash_of(after, "beta.one")
    assert after == before.replace(BETA, BETA.replace(HASH, stored))
    assert bcrypt.checkpw(password_in(out, "beta/beta.one").encode(), stored.encode())
    assert "beta.one" in logins(project.root)


def test_remove_removes_only_that_entry(project, capsys):
    run(project, capsys, "user", "add", "alpha", "alpha.two", "--name", "Anna Alpha", "--email", "anna@alpha.example")
    before = customers(project.root)
    code, out, err = run(project, capsys, "user", "remove", "alpha.one")
    assert (code, err) == (0, "")
    assert out == "removed alpha/alpha.one from customers.yaml; they lose access with the next deploy\n"
    assert customers(project.root) == before.replace(ALPHA, "")
    assert "alpha.one" not in logins(project.root)


def test_staff_add_passwd_remove(project, capsys):
    before = customers(project.root)
    code, out, _ = run(project, capsys, "staff", "add", "staff.two", "--name", "Staff Two", "--email",
                       "two@vendor.example")
    assert code == 0
    password = password_in(out, "staff staff.two")
    after = customers(project.root)
    stored = hash_of(after, "staff.two")
    new = f'    - {{login: staff.two, name: Staff Two, email: two@vendor.example, password_hash: "{stored}"}}\n'
    assert after == before.replace(STAFF, STAFF + new)
    assert bcrypt.checkpw(password.encode(), stored.encode())
    principal = next(p for p in access.principals(validate(project.config)) if p.login == "staff.two")
    assert principal.staff

    assert run(project, capsys, "staff", "passwd", "staff.two")[0] == 0
    assert hash_of(customers(project.root), "staff.two") != stored

    assert run(project, capsys, "staff", "remove", "staff.two")[0] == 0
    assert customers(project.root) == before
    # Staff is optional: removing the last one removes the key rather than leaving `staff: []`.
    assert run(project, capsys, "staff", "remove", "staff.one")[0] == 0
    assert customers(project.root) == before.replace("  staff:\n" + STAFF, "")
    assert not validate(project.config).vendor.staff


def test_json_output_for_automation(project, capsys):
    code, out, _ = run(project, capsys, "user", "add", "beta", "beta.two", "--name", "Bea Beta", "--email",
                       "bea@beta.example", "--json")
    assert code == 0
    result = json.loads(out)
    assert result.keys() == {"customer", "login", "password"}
    assert (result["customer"], result["login"]) == ("beta", "beta.two")
    assert bcrypt.checkpw(result["password"].encode(), hash_of(customers(project.root), "beta.two").encode())
    code, out, _ = run(project, capsys, "staff", "passwd", "staff.one", "--json")
    assert json.loads(out)["customer"] is None and json.loads(out)["login"] == "staff.one"


def test_password_from_stdin_is_never_printed(project, capsys, monkeypatch):
    secret = "correct horse battery staple"
    monkeypatch.setattr("sys.stdin", stdin(secret + "\n"))
    code, out, err = run(project, capsys, "user", "passwd", "alpha.one", "--password-stdin")
    assert (code, err) == (0, "")
    assert out == "new password for alpha/alpha.one in customers.yaml; it works after the next deploy\n"
    assert bcrypt.checkpw(secret.encode(), hash_of(customers(project.root), "alpha.one").encode())
    monkeypatch.setattr("sys.stdin", stdin(secret))
    code, out, _ = run(project, capsys, "user", "add", "alpha", "alpha.two", "--name", "A Two", "--email",
                       "a2@alpha.example", "--password-stdin", "--json")
    assert json.loads(out) == {"customer": "alpha", "login": "alpha.two", "password": None}
    assert secret not in customers(project.root)


# --- refusals ------------------------------------------------------------------------------------

REFUSALS = {
    "unknown customer": (
        ["user", "add", "alpah", "alpha.two", "--name", "A", "--email", "a@alpha.example"],
        "extranet user add: unknown customer 'alpah'; did you mean 'alpha'?"),
    "login used by another customer": (
        ["user", "add", "alpha", "beta.one", "--name", "A", "--email", "a@alpha.example"],
        "extranet user add: login 'beta.one' is already used by customer 'beta' (a login is unique across "
        "customers.yaml)"),
    "login used by staff": (
        ["user", "add", "alpha", "staff.one", "--name", "A", "--email", "a@alpha.example"],
        "extranet user add: login 'staff.one' is already used by vendor staff (a login is unique across "
        "customers.yaml)"),
    "staff login used by a customer": (
        ["staff", "add", "alpha.one", "--name", "A", "--email", "a@vendor.example"],
        "extranet staff add: login 'alpha.one' is already used by customer 'alpha' (a login is unique across "
        "customers.yaml)"),
    "invalid login": (
        ["user", "add", "alpha", "Alpha Two", "--name", "A", "--email", "a@alpha.example"],
        "extranet user add: 'Alpha Two' is not a login (expected 2-64 lowercase letters, digits, '.', '_', '-')"),
    "invalid e-mail": (
        ["user", "add", "alpha", "alpha.two", "--name", "A", "--email", "alpha.example"],
        "extranet user add: --email: 'alpha.example' is not an e-mail address"),
    "empty name": (
        ["user", "add", "alpha", "alpha.two", "--name", " ", "--email", "a@alpha.example"],
        "extranet user add: --name is empty (expected the user's full name)"),
    "unknown login for passwd": (
        ["user", "passwd", "alpha.onr"],
        "extranet user passwd: unknown login 'alpha.onr'; did you mean 'alpha.one'?"),
    "unknown login for remove": (
        ["user", "remove", "nobody"],
        "extranet user remove: unknown login 'nobody'"),
    "staff login given to user": (
        ["user", "passwd", "staff.one"],
        "extranet user passwd: 'staff.one' is vendor staff; use `extranet staff passwd staff.one`"),
    "user login given to staff": (
        ["staff", "remove", "alpha.one"],
        "extranet staff remove: 'alpha.one' is a user of customer 'alpha'; use `extranet user remove alpha.one`"),
    "the last user of a customer": (
        ["user", "remove", "beta.one"],
        "extranet user remove: 'beta.one' is the only user of customer 'beta' (a customer needs at least one); "
        "to shut the customer out, use `extranet customer revoke beta`"),
    "revoke an unknown customer": (
        ["customer", "revoke", "gamma"],
        "extranet customer revoke: unknown customer 'gamma'; expected one of: alpha, beta"),
}


@pytest.mark.parametrize("name", REFUSALS)
def test_refusals_exit_1_with_one_line_and_leave_the_file_alone(project, capsys, name):
    argv, message = REFUSALS[name]
    before = customers(project.root)
    assert run(project, capsys, *argv) == (1, "", message + "\n")
    assert customers(project.root) == before


@pytest.mark.parametrize(("text", "message"), [
    ("short\n", "the password on standard input is too short (at least 12 characters)"),
    ("x" * 73, "the password on standard input is too long (bcrypt reads at most 72 bytes)"),
    ("first line long\nsecond line long\n", "the password on standard input has more than one line"),
])
def test_a_weak_or_garbled_password_on_stdin_is_refused(project, capsys, monkeypatch, text, message):
    before = customers(project.root)
    monkeypatch.setattr("sys.stdin", stdin(text))
    assert run(project, capsys, "user", "passwd", "alpha.one", "--password-stdin") == (
        1, "", f"extranet user passwd: {message}\n")
    assert customers(project.root) == before


def test_wrong_usage_exits_2(project, capsys):
    with pytest.raises(SystemExit) as caught:
        main(["-f", str(project.config), "user", "add", "alpha", "alpha.two"])  # --name and --email are required
    assert caught.value.code == 2


def test_an_invalid_project_is_not_edited(project, capsys):
    project.replace("releases/1.1.0.yaml", "kind: minor", "kind: mayor")
    before = customers(project.root)
    code, out, err = run(project, capsys, "user", "passwd", "alpha.one")
    assert (code, out) == (1, "")
    assert err.splitlines() == ["releases/1.1.0.yaml:3:7: kind: 'mayor' is not allowed; did you mean 'major'?",
                                "1 problem(s); nothing was changed"]
    assert customers(project.root) == before


def test_an_edit_that_would_not_validate_is_never_written(project, capsys, monkeypatch):
    monkeypatch.setattr(credentials, "hash_password", lambda password: "$2b$04$" + "a" * 53)  # cost too low
    before = customers(project.root)
    code, out, err = run(project, capsys, "user", "passwd", "beta.one")
    assert (code, out) == (1, "")
    assert err.splitlines() == ["customers.yaml:62:83: customers[1].users[0].password_hash: bcrypt cost 4 is too "
                                "low (expected at least 10)", "1 problem(s); nothing was changed"]
    assert customers(project.root) == before
    assert not list(project.root.glob(".customers.yaml.*"))


def test_a_file_changed_meanwhile_is_not_overwritten(project, capsys, monkeypatch):
    calls = []

    def validate_and_meddle(config_file, **kwargs):
        calls.append(kwargs)
        if kwargs:  # the candidate's validation: someone else edits the file meanwhile
            project.replace("customers.yaml", "Bob Beta", "Bob B. Beta")
        return validate(config_file, **kwargs)

    monkeypatch.setattr(credentials, "validate", validate_and_meddle)
    code, out, err = run(project, capsys, "user", "passwd", "alpha.one")
    assert (code, out) == (1, "")
    assert err == ("extranet user passwd: customers.yaml changed while it was being edited; nothing was written, "
                   "run the command again\n")
    assert "Bob B. Beta" in customers(project.root) and len(calls) == 2


def test_a_file_ruamel_would_reformat_is_refused(project, capsys):
    project.replace("customers.yaml", "    name: Beta s.r.o.", "    name:   Beta s.r.o.")
    before = customers(project.root)
    assert run(project, capsys, "user", "passwd", "alpha.one") == (
        1, "", "extranet user passwd: customers.yaml: it cannot be edited without reformatting it (line 52 would "
               "change); edit it by hand\n")
    assert customers(project.root) == before


def test_windows_line_ends_are_kept(project, capsys):
    path = project.root / "customers.yaml"
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    before = path.read_bytes()
    assert run(project, capsys, "customer", "revoke", "beta")[0] == 0
    assert path.read_bytes() == before.replace(b"    language: en\r\n", b"    language: en\r\n    access: revoked\r\n")


def test_the_file_mode_is_kept(project, capsys):
    path = project.root / "customers.yaml"
    path.chmod(0o640)
    assert run(project, capsys, "user", "passwd", "alpha.one")[0] == 0
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_a_new_customer_gets_its_first_user(project, capsys):
    project.replace("customers.yaml", BETA, "")
    project.replace("customers.yaml", "    language: en\n    users:\n", "    language: en\n    users: []\n")
    before = customers(project.root)
    # Until then the project is invalid, so nothing else edits the file...
    assert run(project, capsys, "user", "passwd", "alpha.one") == (
        1, "", "customers.yaml:61:12: customers[1].users: expected at least 1 item(s), found 0\n"
               "1 problem(s); nothing was changed\n")
    assert run(project, capsys, "user", "add", "alpha", "alpha.two", "--name", "A", "--email", "a@alpha.example")[0] == 1
    assert customers(project.root) == before
    # ...but adding the first user is the fix.
    code, out, _ = run(project, capsys, "user", "add", "beta", "beta.one", "--name", "Bob Beta", "--email",
                       "bob@beta.example")
    assert code == 0
    stored = hash_of(customers(project.root), "beta.one")
    assert customers(project.root) == before.replace("    users: []\n", "    users:\n" + BETA.replace(HASH, stored))
    assert bcrypt.checkpw(password_in(out, "beta/beta.one").encode(), stored.encode())


# --- access --------------------------------------------------------------------------------------

def test_revoke_shuts_the_customers_users_out_and_restore_lets_them_in(project, capsys):
    before = customers(project.root)
    assert "beta.one" in logins(project.root)
    code, out, _ = run(project, capsys, "customer", "revoke", "beta")
    assert (code, out) == (0, "revoked customer 'beta': its 1 user(s) lose access with the next deploy\n")
    revoked = customers(project.root)
    assert revoked == before.replace("    language: en\n    users:\n", "    language: en\n    access: revoked\n"
                                                                       "    users:\n")
    assert logins(project.root) == {"staff.one", "alpha.one"}
    assert run(project, capsys, "customer", "revoke", "beta") == (
        0, "customer 'beta': access is already revoked; customers.yaml was not changed\n", "")
    assert customers(project.root) == revoked

    # A revoked customer's users can still be managed; they log in once access is restored.
    code, out, _ = run(project, capsys, "user", "add", "beta", "beta.two", "--name", "Bea", "--email", "b@beta.example")
    assert "the customer's access is revoked" in out
    assert "beta.two" not in logins(project.root)
    run(project, capsys, "user", "remove", "beta.two")

    assert run(project, capsys, "customer", "restore", "beta")[:2] == (
        0, "restored customer 'beta': its 1 user(s) can log in again after the next deploy\n")
    assert customers(project.root) == before
    assert "beta.one" in logins(project.root)


def test_revoke_keeps_an_explicit_access_key_in_place(project, capsys):
    project.replace("customers.yaml", "    language: cs\n", "    language: cs\n    access: active  # paid up\n")
    before = customers(project.root)
    assert run(project, capsys, "customer", "revoke", "alpha")[0] == 0
    assert customers(project.root) == before.replace("access: active  # paid up", "access: revoked  # paid up")


# --- comments stay where they were ----------------------------------------------------------------

COMMENTED = {
    "  staff:\n": "  # Staff see everything.\n  staff:\n    # The first of them.\n",
    STAFF: STAFF.rstrip("\n") + "  # founder\n\n# Plans come next.\n",
    "    users:\n" + ALPHA: "    users:  # one login per person\n" + ALPHA.rstrip("\n") + "  # the admin\n\n"
                           "  # Beta: support ended in 2025.\n",
    "    language: en\n": "    language: en\n    # Beta's people:\n",
}


@pytest.fixture
def commented(project) -> Project:
    for old, new in COMMENTED.items():
        project.replace("customers.yaml", old, new)
    validate(project.config)
    return project


def test_comments_around_edited_entries_stay_in_place(commented, capsys):
    root = commented.root
    before = customers(root)
    assert run(commented, capsys, "user", "add", "alpha", "alpha.two", "--name", "A Two", "--email",
               "a2@alpha.example")[0] == 0
    added = customers(root)
    entry = f'      - {{login: alpha.two, name: A Two, email: a2@alpha.example, password_hash: ' \
            f'"{hash_of(added, "alpha.two")}"}}\n'
    assert added == before.replace("  # the admin\n", "  # the admin\n" + entry)

    assert run(commented, capsys, "user", "remove", "alpha.two")[0] == 0
    assert customers(root) == before
    assert run(commented, capsys, "staff", "add", "staff.two", "--name", "S Two", "--email", "s2@vendor.example")[0] == 0
    assert comments(customers(root)) == comments(before)
    assert customers(root).index("# founder\n    - {login: staff.two") > 0
    assert run(commented, capsys, "staff", "remove", "staff.two")[0] == 0
    assert customers(root) == before
    assert run(commented, capsys, "customer", "revoke", "beta")[0] == 0
    assert customers(root) == before.replace("    language: en\n", "    language: en\n    access: revoked\n")
    assert run(commented, capsys, "customer", "restore", "beta")[0] == 0
    assert customers(root) == before
    assert run(commented, capsys, "user", "passwd", "alpha.one")[0] == 0
    assert comments(customers(root)) == comments(before)


# --- the real demo data --------------------------------------------------------------------------

@pytest.fixture
def demo(tmp_path) -> Path:
    """A copy of the repository's demo project, so its commented customers.yaml can be edited."""
    root = tmp_path / "demo"
    root.mkdir()
    for name in ("mkdocs.yml", "customers.yaml"):
        shutil.copy2(REPO / name, root / name)
    for name in ("releases", "content", "site_templates"):
        shutil.copytree(REPO / name, root / name)
    return root


def test_the_demo_file_keeps_every_comment_through_every_operation(demo, capsys):
    original = customers(demo)
    assert len(comments(original)) > 40

    # Added after the last user of a customer, before the blank line and the comment on the next one.
    code, out, _ = run(demo, capsys, "user", "add", "strojirny-labe", "labe.novak", "--name", "Petr Novák",
                       "--email", "petr.novak@strojirny-labe.example")
    assert code == 0
    text = customers(demo)
    stored = hash_of(text, "labe.novak")
    assert bcrypt.checkpw(password_in(out, "strojirny-labe/labe.novak").encode(), stored.encode())
    last = '        password_hash: "$2b$12$KlSI9X21tTU7ucMfJ9.oleqnXitjQe4mn.lYHSKmIH0/qkk1dg95m"\n'
    block = ("      - login: labe.novak\n        name: Petr Novák\n        email: petr.novak@strojirny-labe.example\n"
             f'        password_hash: "{stored}"\n')
    assert text == original.replace(last, last + block)  # block style, like its siblings

    # Staff: after the last one, before the comment that introduces the plans.
    assert run(demo, capsys, "staff", "add", "anneca.novak", "--name", "Jan Novák", "--email",
               "jan.novak@anneca.cz")[0] == 0
    assert "anneca.cz\n      password_hash: \"$2b$12$" in customers(demo)
    assert comments(customers(demo)) == comments(original)

    for argv in (["user", "passwd", "teplo.kucera"], ["staff", "passwd", "anneca.horakova"],
                 ["customer", "revoke", "teplo-servis"], ["user", "remove", "labe.novak"],
                 ["staff", "remove", "anneca.novak"]):
        assert run(demo, capsys, *argv)[0] == 0, argv
        assert comments(customers(demo)) == comments(original), argv
    assert "teplo.kucera" not in {principal.login for principal in access.principals(validate(demo / "mkdocs.yml"))}

    # Removing the last user of a customer moves nothing: the comment on the next customer stays.
    before = customers(demo)
    assert run(demo, capsys, "user", "remove", "labe.prochazka")[0] == 0
    entry = ("      - login: labe.prochazka\n        name: Martin Procházka\n"
             "        email: martin.prochazka@strojirny-labe.example\n" + last)
    assert customers(demo) == before.replace(entry, "")
    assert comments(customers(demo)) == comments(original)
    assert run(demo, capsys, "validate")[0] == 0


def test_demo_passwords_are_never_in_the_built_site_or_customers_yaml(demo_site):
    passwords = re.findall(r'password: "([^"]+)"', (REPO / "tests/fixtures/demo-credentials.yaml").read_text())
    text = customers(REPO)
    assert len(set(passwords)) == len(passwords) == text.count("password_hash:") == 13  # one per demo account
    for path in [*demo_site.rglob("*")]:
        if path.is_file():
            content = path.read_bytes()
            assert not any(password.encode() in content for password in passwords), path
    assert not any(password in text for password in passwords)


def test_generated_passwords_are_long_random_and_unambiguous():
    passwords = {credentials.generate_password() for _ in range(200)}
    assert len(passwords) == 200
    assert all(len(password) == 20 for password in passwords)
    assert set("".join(passwords)) <= set(credentials.ALPHABET)
    assert not set("0Oo1lI") & set(credentials.ALPHABET)
