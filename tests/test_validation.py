"""Validation: every mistake comes back as file:line:column: field.path: message, all of them at once."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from extranet.building import validate
from extranet.cli import main
from extranet.loading import InvalidInput, parse_yaml, validate_source
from extranet.model import Release

CASES = {
    "IČO check digit": (
        "customers.yaml", 'company_id: "27074358"', 'company_id: "00177042"',
        ["customers.yaml:40:17: customers[0].company_id: '00177042' is not a valid IČO (check digit)"]),
    "IČO unquoted": (
        "customers.yaml", 'company_id: "27074358"', "company_id: 00177041",
        ["customers.yaml:40:17: customers[0].company_id: expected text, found number 00177041; "
         "write it in quotes: '00177041'"]),
    "unknown key with suggestion": (
        "customers.yaml", "    support_until: 2030-12-31", "    suport_until: 2030-12-31",
        ["customers.yaml:46:5: customers[0].suport_until: unknown key 'suport_until'; did you mean 'support_until'?"]),
    "login unique across customers": (
        "customers.yaml", "login: beta.one", "login: alpha.one",
        ["customers.yaml:62:17: customers[1].users[0].login: duplicate login 'alpha.one' (first at line 50)"]),
    "login unique against staff": (
        "customers.yaml", "login: beta.one", "login: staff.one",
        ["customers.yaml:62:17: customers[1].users[0].login: duplicate login 'staff.one' (first at line 16)"]),
    "customer id unique": (
        "customers.yaml", "  - id: beta", "  - id: alpha",
        ["customers.yaml:51:9: customers[1].id: duplicate customer id 'alpha' (first at line 38)"]),
    "installed version exists": (
        "customers.yaml", 'installed_version: "1.0.0"\n    language: en', 'installed_version: "1.5.0"\n    language: en',
        ["customers.yaml:59:24: customers[1].installed_version: version '1.5.0' has no release manifest"]),
    "plan exists": (
        "customers.yaml", "    plan: basic\n    edition: standard\n    modules", "    plan: gold\n    edition: standard\n    modules",
        ["customers.yaml:41:11: customers[0].plan: unknown plan 'gold'; expected one of: basic"]),
    "module exists": (
        "customers.yaml", "modules: [extra]", "modules: [extar]",
        ["customers.yaml:43:15: customers[0].modules[0]: unknown module 'extar'; did you mean 'extra'?"]),
    "artifact platform exists": (
        "releases/1.1.0.yaml", "platform: linux", "platform: linuks",
        ["releases/1.1.0.yaml:10:15: artifacts[0].platform: unknown platform 'linuks'; did you mean 'linux'?"]),
    "sha256 is 64 hex digits": (
        "releases/1.1.0.yaml", "sha256: ", "sha256: 0",
        ["releases/1.1.0.yaml:13:13: artifacts[0].sha256: '0" + "{sha}" + "' is not a sha256 digest "
         "(expected 64 lowercase hex digits)"]),
    "literal with suggestion": (
        "releases/1.1.0.yaml", "kind: minor", "kind: mayor",
        ["releases/1.1.0.yaml:3:7: kind: 'mayor' is not allowed; did you mean 'major'?"]),
    "both languages": (
        "releases/1.1.0.yaml", "title: {cs: Verze 1.1.0, en: Release 1.1.0}", "title: {cs: Verze 1.1.0}",
        ["releases/1.1.0.yaml:4:8: title: missing text in en (every text needs cs, en)"]),
    "dates increase with versions": (
        "releases/1.1.0.yaml", "date: 2025-05-05", "date: 2024-05-05",
        ["releases/1.1.0.yaml:2:7: date: 2024-05-05 is before 2025-01-10 of the lower version 1.0.0 "
         "(dates must increase with versions)"]),
    "version must be quoted": (
        "releases/1.1.0.yaml", 'version: "1.1.0"', "version: 1.10",
        ["releases/1.1.0.yaml:1:10: version: expected text, found number 1.10; write it in quotes: '1.10'"]),
    "version matches file": (
        "releases/1.1.0.yaml", 'version: "1.1.0"', 'version: "1.2.0"',
        ["releases/1.1.0.yaml:1:10: version: '1.2.0' does not match the file name (expected '1.1.0' or rename "
         "the file)",
         "releases/1.1.0.yaml:11:11: artifacts[0].file: '1.2.0/app-1.1.0.tar.gz' is not in the configured storage",
         "releases/1.1.0.yaml:17:11: artifacts[1].file: '1.2.0/extra-1.1.0.tar.gz' is not in the configured storage"]),
    "YAML syntax": (
        "releases/1.1.0.yaml", "kind: minor", "kind: [minor",
        ["releases/1.1.0.yaml:4:6: YAML syntax error: expected ',' or ']', but got ':'"]),
    "required key": (
        "releases/1.1.0.yaml", "date: 2025-05-05\n", "",
        ["releases/1.1.0.yaml:1:1: date: required key is missing"]),
    "duplicate key": (
        "releases/1.1.0.yaml", "kind: minor", "kind: minor\nkind: major",
        ["releases/1.1.0.yaml:4:1: kind: duplicate key 'kind' (first at line 3)"]),
    "impossible date": (
        "releases/1.1.0.yaml", "date: 2025-05-05", "date: 2025-13-05",
        ["releases/1.1.0.yaml:2:7: date: '2025-13-05' is not a date"]),
    "response rule": (
        "customers.yaml", "response: {deadline: next_business_day}", "response: {deadline: tomorrow}",
        ["customers.yaml:31:30: plans[0].severities[0].response.deadline: expected one of immediate, "
         "same_business_day, next_business_day, next_release, {business_days: N} or {calendar_days: N} (N >= 1)"]),
    "time zone": (
        "customers.yaml", "timezone: Europe/Prague", "timezone: Europe/Praha",
        ["customers.yaml:22:39: plans[0].calendar.timezone: 'Europe/Praha' is not a time zone "
         "(expected e.g. 'Europe/Prague')"]),
    "no plaintext passwords": (
        "customers.yaml", 'password_hash: "$2b$10$aaaa', 'password_hash: "secret',
        ["customers.yaml:16:87: vendor.staff[0].password_hash: not a bcrypt hash (expected '$2b$NN$' and 53 "
         "characters; never a plain password)"]),
    "severity channel exists": (
        "customers.yaml", "channels: {phone: {deadline: immediate}}", "channels: {fax: {deadline: immediate}}",
        ["customers.yaml:32:20: plans[0].severities[0].channels.fax: unknown channel 'fax'; expected one of: "
         "phone, email"]),
    # Links in data lead to https: or mailto: only: a page renders them as href (issue 11 point 4).
    "website javascript:": (
        "customers.yaml", "website: https://vendor.example", "website: javascript:alert(1)",
        ["customers.yaml:5:12: vendor.website: 'javascript:alert(1)' is not a link the extranet accepts "
         "(expected https://… or mailto:…)"]),
    "website JavaScript: in capitals": (
        "customers.yaml", "website: https://vendor.example", "website: JaVaScRiPt:alert(1)",
        ["customers.yaml:5:12: vendor.website: 'JaVaScRiPt:alert(1)' is not a link the extranet accepts "
         "(expected https://… or mailto:…)"]),
    "website data:": (
        "customers.yaml", "website: https://vendor.example", 'website: "data:text/html,<script>alert(1)</script>"',
        ["customers.yaml:5:12: vendor.website: 'data:text/html,<script>alert(1)</script>' is not a link the "
         "extranet accepts (expected https://… or mailto:…)"]),
    "website plain http:": (
        "customers.yaml", "website: https://vendor.example", "website: http://vendor.example",
        ["customers.yaml:5:12: vendor.website: 'http://vendor.example' is not a link the extranet accepts "
         "(expected https://… or mailto:…)"]),
    "website without a host": (
        "customers.yaml", "website: https://vendor.example", "website: https:///path",
        ["customers.yaml:5:12: vendor.website: 'https:///path' is not a link the extranet accepts "
         "(expected https://… or mailto:…)"]),
    "website with a quote that would end an attribute": (
        "customers.yaml", "website: https://vendor.example", """website: 'https://vendor.example/" onmouseover="x'""",
        ["customers.yaml:5:12: vendor.website: 'https://vendor.example/\" onmouseover=\"x' is not a link the "
         "extranet accepts (expected https://… or mailto:…)"]),
    "website with a leading blank": (
        "customers.yaml", "website: https://vendor.example", 'website: " javascript:alert(1)"',
        ["customers.yaml:5:12: vendor.website: ' javascript:alert(1)' is not a link the extranet accepts "
         "(expected https://… or mailto:…)"]),
    "website mailto: with a query": (
        "customers.yaml", "website: https://vendor.example", "website: mailto:a@vendor.example?body=x",
        ["customers.yaml:5:12: vendor.website: 'mailto:a@vendor.example?body=x' is not a link the extranet "
         "accepts (expected https://… or mailto:…)"]),
    "phone channel is a number": (
        "customers.yaml", 'address: "+420 100 200 300"', 'address: "[x](javascript:alert(1))"',
        ["customers.yaml:24:43: plans[0].channels[0].address: '[x](javascript:alert(1))' is not a phone number "
         "(expected digits, spaces and an optional leading '+', e.g. '+420 475 200 111')"]),
    "e-mail channel is an address": (
        "customers.yaml", "address: help@vendor.example", "address: 'help@vendor.example?subject=x'",
        ["customers.yaml:25:43: plans[0].channels[1].address: 'help@vendor.example?subject=x' is not an "
         "e-mail address"]),
    "user e-mail without quotes or tags": (
        "customers.yaml", "email: alice@alpha.example", """email: '"<img src=x onerror=alert(1)>"@alpha.example'""",
        ["customers.yaml:50:54: customers[0].users[0].email: '\"<img src=x onerror=alert(1)>\"@alpha.example' "
         "is not an e-mail address"]),
}


@pytest.mark.parametrize("name", CASES)
def test_one_mistake_one_exact_message(project, name):
    path, old, new, expected = CASES[name]
    if "{sha}" in expected[0]:
        text = (project.root / path).read_text()
        sha = text.split("sha256: ", 1)[1].split("\n", 1)[0]
        expected = [expected[0].replace("{sha}", sha)]
    project.replace(path, old, new)
    with pytest.raises(InvalidInput) as caught:
        validate(project.config)
    assert [str(problem) for problem in caught.value.problems] == expected


def test_all_problems_of_a_run_together_and_exit_1(project, capsys):
    project.replace("customers.yaml", 'company_id: "27074358"', 'company_id: "00177042"')
    project.replace("releases/1.1.0.yaml", "kind: minor", "kind: mayor")
    (project.root / "storage/1.1.0/app-1.1.0.tar.gz").unlink()
    (project.root / "content/en/guides/install.md").unlink()
    (project.root / "releases/3.0.0.yaml").write_text("")
    (project.root / "releases/3.1.0.yaml").write_bytes(b"\xff\xfe\x00")

    assert main(["-f", str(project.config), "validate"]) == 1

    assert capsys.readouterr().err.splitlines() == [
        "content/cs/guides/install.md:1:1: no en version (expected content/en/guides/install.md)",
        "customers.yaml:40:17: customers[0].company_id: '00177042' is not a valid IČO (check digit)",
        "releases/1.1.0.yaml:3:7: kind: 'mayor' is not allowed; did you mean 'major'?",
        "releases/3.0.0.yaml:1:1: the file is empty (expected a mapping)",
        "releases/3.1.0.yaml:1:1: not UTF-8 text (byte 0)",
        "5 problem(s)",
    ]


def test_a_todo_placeholder_is_one_problem_among_all(project, capsys):
    """A TODO in customers.yaml or a manifest hides nothing: the placeholders and every other mistake, once."""
    project.replace("customers.yaml", "name: Alpha a.s.", 'name: "TODO: the company\'s name"')
    project.replace("customers.yaml", "plan: basic\n    edition", "plan: basci\n    edition")
    project.replace("customers.yaml", "language: en", "language: de")
    project.replace("releases/2.0.0.yaml", "title: {cs: Verze 2.0.0, en: Release 2.0.0}", "title: {cs: TODO, en: TODO}")
    project.replace("releases/2.0.0.yaml", "platform: linux", "platform: linx")
    project.replace("releases/2.0.0.yaml", "module: extra", "module: TODO")  # said once, as a placeholder

    assert main(["-f", str(project.config), "validate"]) == 1

    assert capsys.readouterr().err.splitlines() == [
        "customers.yaml:39:11: customers[0].name: still a placeholder: TODO: the company's name",
        "customers.yaml:41:11: customers[0].plan: unknown plan 'basci'; did you mean 'basic'?",
        "customers.yaml:60:15: customers[1].language: 'de' is not a site language (cs, en)",
        "releases/2.0.0.yaml:4:13: title.cs: still a placeholder from `extranet release new`: TODO",
        "releases/2.0.0.yaml:4:23: title.en: still a placeholder from `extranet release new`: TODO",
        "releases/2.0.0.yaml:12:15: artifacts[0].platform: unknown platform 'linx'; did you mean 'linux'?",
        "releases/2.0.0.yaml:17:13: artifacts[1].module: still a placeholder from `extranet release new`: TODO",
        "7 problem(s)",
    ]


def test_artifact_missing_from_storage(project):
    (project.root / "storage/1.1.0/app-1.1.0.tar.gz").unlink()
    with pytest.raises(InvalidInput) as caught:
        validate(project.config)
    assert [str(p) for p in caught.value.problems] == [
        "releases/1.1.0.yaml:11:11: artifacts[0].file: '1.1.0/app-1.1.0.tar.gz' is not in the configured storage"]


def test_storage_check_can_be_turned_off_offline(project):
    (project.root / "storage/1.1.0/app-1.1.0.tar.gz").unlink()
    project.replace("mkdocs.yml", "        root: storage", "        root: storage\n        check: false")
    assert len(validate(project.config).releases) == 3


def test_guide_for_an_unknown_release(project):
    for lang in ("cs", "en"):
        project.write(f"content/{lang}/upgrade/7.0.0.md", "# 7.0.0\n")
    with pytest.raises(InvalidInput) as caught:
        validate(project.config)
    assert [str(p) for p in caught.value.problems] == [
        "content/cs/upgrade/7.0.0.md:1:1: upgrade guide for '7.0.0', which has no release manifest"]


def test_valid_project_passes(project, capsys):
    assert main(["-f", str(project.config), "validate"]) == 0
    assert capsys.readouterr().out == "ok: 3 releases, 2 customers, 1 support plan(s)\n"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=st.sampled_from(list("ab:-[]{}\"'&*!|>%@`#\n\t 0123.\\,?~\u00e9")), max_size=80))
def test_no_input_raises_anything_but_problems(text):
    """Whatever a maintainer types, the answer is a list of problems, never a traceback."""
    source, problems = parse_yaml(text, "releases/x.yaml")
    if not problems:
        _, problems = validate_source(source, Release, ("cs", "en"))
    assert all(str(problem).startswith("releases/x.yaml:") for problem in problems)


def test_versions_are_unique_by_value_not_by_spelling(project):
    text = (project.root / "releases/1.1.0.yaml").read_text().replace('version: "1.1.0"', 'version: "1.1"')
    project.write("releases/1.1.yaml", text.replace("date: 2025-05-05", "date: 2025-05-06"))
    project.replace("mkdocs.yml", "        root: storage", "        root: storage\n        check: false")
    with pytest.raises(InvalidInput) as caught:
        validate(project.config)
    assert [str(p) for p in caught.value.problems] == [
        "releases/1.1.yaml:1:10: version: version '1.1' is also in releases/1.1.0.yaml"]


@pytest.mark.parametrize("website", ["https://vendor.example/kontakt?x=1#a", "mailto:info@vendor.example"])
def test_a_website_may_be_https_or_mailto(project, website):
    project.replace("customers.yaml", "website: https://vendor.example", f"website: {website}")
    assert validate(project.config).vendor.website == website
