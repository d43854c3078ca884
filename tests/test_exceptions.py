"""One error hierarchy, one handler: each `ExtranetError` -> the exit status and the line a user sees.

`cli.main` is the only place that prints an error; the commands raise. So the table below is the
whole contract: a class raised while a command runs, the status it ends with, what stderr says.
"""

from __future__ import annotations

import datetime as dt
import importlib
import json
import pickle
import pkgutil

import pytest

import extranet
from extranet import access, cli, credentials, deploying, escaping, releasing, resources, servers, storage, syncing, versions
from extranet import support_calendar
from extranet.cloudfront.function import EdgeLimitExceeded
from extranet.building import BuildFailed
from extranet.cloudfront import login as cloudfront_login
from extranet.exceptions import CommandRefused, ExtranetError, UsageError
from extranet.loading import InvalidInput, Problem

PROBLEM = Problem("customers.yaml", 40, 17, "customers[0].company_id", "'00177042' is not a valid IČO (check digit)")
LOCATED = "customers.yaml:40:17: customers[0].company_id: '00177042' is not a valid IČO (check digit)"
DEPLOY = ["deploy", "--target", "srv", "--server", "nginx", "--output", "build"]
SLA = ["sla", "deadline", "--plan", "basic", "--severity", "common", "--reported", "2026-03-29T02:30"]
DAY = dt.date(2029, 1, 2)

CASES = [
    # (command line, raised, exit status, stderr)
    (["validate"], InvalidInput([PROBLEM]), 1, f"{LOCATED}\n1 problem(s)\n"),
    (["build"], InvalidInput([PROBLEM]), 1, f"{LOCATED}\n1 problem(s); nothing was built\n"),
    (["publish"], InvalidInput([PROBLEM]), 1, f"{LOCATED}\n1 problem(s); nothing was published\n"),
    (["user", "remove", "a.b"], InvalidInput([PROBLEM]), 1, f"{LOCATED}\n1 problem(s); nothing was changed\n"),
    (["build"], BuildFailed("Aborted with 1 warnings in strict mode!"), 1,
     "build failed: Aborted with 1 warnings in strict mode!\n"),
    (["serve"], BuildFailed("mkdocs.yml: no secret"), 1, "extranet serve: mkdocs.yml: no secret\n"),
    (["validate"], ExtranetError("a message", file="mkdocs.yml", line=7), 1,
     "extranet validate: mkdocs.yml:7: a message\n"),
    (["validate"], ExtranetError("a message", file="mkdocs.yml"), 1, "extranet validate: mkdocs.yml: a message\n"),
    (DEPLOY, deploying.DeployFailed("another deploy to srv is running"), 1,
     "extranet deploy: another deploy to srv is running\n"),
    (DEPLOY, UsageError("--keep must be at least 2"), 2, "extranet deploy: --keep must be at least 2\n"),
    (["deploy", "--s3", "b"], syncing.SyncRefused("build holds no build (no site/)"), 1,
     "extranet deploy: build holds no build (no site/)\n"),
    (["deploy", "--s3", "b"], syncing.SyncFailed("no AWS credentials (set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)"),
     1, "extranet deploy: no AWS credentials (set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)\n"),
    # The login function's package (`deploy --cloudfront`; --s3 parses on every branch, the handler is the same).
    (["deploy", "--s3", "b"], cloudfront_login.PackagingFailed("wheels: no bcrypt wheel for the login function"), 1,
     "extranet deploy: wheels: no bcrypt wheel for the login function\n"),
    (["publish"], storage.StorageError("s3://b/1.0.0/a.tar.gz: NoSuchBucket (HTTP 404)"), 1,
     "extranet publish: s3://b/1.0.0/a.tar.gz: NoSuchBucket (HTTP 404)\n"),
    (["link", "--backend", "s3", "--bucket", "b", "--key", "k", "--region", "r", "--expires", "1"],
     storage.LinkError("no AWS credentials"), 1, "extranet link: no AWS credentials\n"),
    (["user", "add", "alpha", "a.b", "--name", "A", "--email", "a@b.example"],
     credentials.EditRefused("unknown customer 'alpha'"), 1, "extranet user add: unknown customer 'alpha'\n"),
    (["customer", "revoke", "x"], credentials.EditRefused("unknown customer 'x'"), 1,
     "extranet customer revoke: unknown customer 'x'\n"),
    (["release", "new", "9.0.0"], releasing.ScaffoldRefused("version 9.0.0 exists already"), 1,
     "extranet release new: version 9.0.0 exists already; nothing was written\n"),
    (["upgrade-path", "2.0.0", "1.0.0"], versions.UpgradeError("downgrades are not supported"), 1,
     "extranet upgrade-path: downgrades are not supported\n"),
    (["serve"], servers.ServerMissing("nginx is not installed"), 1, "extranet serve: nginx is not installed\n"),
    (["build"], access.AudienceError("audience 'x' is unknown"), 1, "build failed: audience 'x' is unknown\n"),
    (["build"], access.ConflictingAreas("move a/b.md"), 1, "build failed: move a/b.md\n"),
    (["build"], escaping.UnsafeLink("javascript:"), 1, "build failed: javascript:\n"),
    (["build"], EdgeLimitExceeded("viewer-request.js is 10304 bytes; CloudFront Functions allow 10240 bytes of code"), 1,
     "build failed: viewer-request.js is 10304 bytes; CloudFront Functions allow 10240 bytes of code\n"),
    (["build"], escaping.ConfigValueError("cannot be written into an nginx string: 'a\\x00'"), 1,
     "build failed: cannot be written into an nginx string: 'a\\x00'\n"),
    (["build"], resources.InvalidStrings("strings.yaml:1:1: expected a mapping"), 1,
     "build failed: strings.yaml:1:1: expected a mapping\n"),
    (SLA, support_calendar.OutOfRange(DAY, dt.date(2025, 1, 1), dt.date(2028, 12, 31)), 1,
     "extranet sla deadline: the support calendar covers 2025-01-01 to 2028-12-31 only (2029-01-02 is outside)\n"),
    (SLA, support_calendar.Skipped("02:30 does not exist"), 1, "extranet sla deadline: 02:30 does not exist\n"),
    (SLA, support_calendar.Repeated("02:30 happens twice"), 1, "extranet sla deadline: 02:30 happens twice\n"),
    (["schema", "--check"], CommandRefused("out of date: a.json (run `extranet schema`)"), 1,
     "extranet schema: out of date: a.json (run `extranet schema`)\n"),
    (["validate"], KeyboardInterrupt(), 130, "interrupted\n"),
    (["validate"], RuntimeError("boom"), 1,
     "extranet validate: internal error: RuntimeError: boom (run with --verbose for details)\n"),
]


@pytest.mark.parametrize(("argv", "raised", "status", "err"), CASES,
                         ids=[f"{type(case[1]).__name__}-{case[0][0]}" for case in CASES])
def test_each_error_ends_the_command_with_its_status_and_line(argv, raised, status, err, monkeypatch, capsys):
    def run(args):  # noqa: ANN001, ANN202
        raise raised

    monkeypatch.setattr(cli, "_run", run)
    assert cli.main(argv) == status
    assert capsys.readouterr() == ("", err)


def test_every_error_class_is_in_the_table():
    """A new ExtranetError subclass gets a row above, or this fails."""
    for module in pkgutil.iter_modules(extranet.__path__):
        importlib.import_module(f"extranet.{module.name}")

    def subclasses(cls: type) -> set[type]:
        return {cls, *(sub for direct in cls.__subclasses__() for sub in subclasses(direct))}

    classes = {cls for cls in subclasses(ExtranetError) if cls.__module__.startswith("extranet.")}
    assert classes - {type(case[1]) for case in CASES} == set()


def test_json_reports_the_location_of_a_located_error(monkeypatch, capsys):
    def run(args):  # noqa: ANN001, ANN202
        raise ExtranetError("a message", file="mkdocs.yml", line=7)

    monkeypatch.setattr(cli, "_run", run)
    assert cli.main(["build", "--json"]) == 1
    out, err = capsys.readouterr()
    assert err == ""
    assert json.loads(out) == {"command": "build", "status": "failed", "problems": [
        {"file": "mkdocs.yml", "line": 7, "column": None, "path": None, "message": "a message"}]}


def test_the_exit_status_and_location_are_the_exceptions():
    assert (ExtranetError.exit_status, UsageError.exit_status, InvalidInput.exit_status) == (1, 2, 1)
    error = ExtranetError("wrong", file="customers.yaml", line=3)
    assert (str(error), error.message, error.file, error.line) == ("customers.yaml:3: wrong", "wrong",
                                                                   "customers.yaml", 3)
    assert isinstance(versions.UpgradeError("x"), ValueError)  # callers that catch ValueError still do
    assert isinstance(servers.ServerMissing("x"), RuntimeError)


@pytest.mark.parametrize("error", [case[1] for case in CASES if isinstance(case[1], ExtranetError)],
                         ids=[type(case[1]).__name__ for case in CASES if isinstance(case[1], ExtranetError)])
def test_an_error_survives_the_trip_from_a_worker_process(error):
    copy = pickle.loads(pickle.dumps(error))
    assert (type(copy), str(copy), copy.exit_status, copy.file, copy.line) == (
        type(error), str(error), error.exit_status, error.file, error.line)
    if isinstance(error, InvalidInput):
        assert copy.problems == error.problems
