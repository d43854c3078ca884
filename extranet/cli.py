"""The `extranet` command: validate, build, deploy, publish artifacts, scaffold releases, plan upgrades,
sign links, manage users and probe a live site.

Messages go to stderr as `file:line:column: path: message`, one per line, so editors and CI
annotate them. `validate` and `build` take `--quiet` (errors only) and `--json` (one JSON object on
stdout: status, counts, output paths, problems with file, line, column, path and message); on a
terminal, `build` shows what it is doing on stderr.

Commands raise an `ExtranetError` (`extranet/exceptions.py`) and never print an error themselves:
`main` catches it once and `_report` turns it into the lines and the exit status, so every command
words its failures the same way (`extranet <command>: message`). Rejected: a try/except per
command, which is how the messages and statuses of the commands had drifted apart.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import logging
import shutil
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import credentials, servers, storage, support_calendar, versions
from .building import BuildFailed, build, quiet_mkdocs, validate
from .exceptions import CommandRefused, ExtranetError, UsageError
from .instants import parse_instant
from .loading import Extranet, InvalidInput

if TYPE_CHECKING:
    from tqdm import tqdm

    from .access import Area
    from .loading import Extranet

EXIT_STATUS = """\
exit status:
  0    success
  1    invalid input (every problem is listed), a failed build (the previous site is left
       untouched), a refused edit or scaffold, or an internal error
  2    wrong usage (unknown command or option, missing argument)
  130  interrupted (Ctrl+C)
"""


def _instant(value: str) -> dt.datetime:
    try:
        return parse_instant(value)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _report_time(value: str) -> dt.datetime:
    """An instant, or a naive wall-clock time that the plan's time zone resolves later."""
    try:
        return dt.datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{value}' is not an ISO-8601 time, e.g. 2026-12-23T17:30:00+01:00") from None


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(
        prog="extranet",
        description=__doc__.splitlines()[0],
        epilog=EXIT_STATUS,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    main.add_argument(
        "-f",
        "--config-file",
        type=Path,
        default=Path("mkdocs.yml"),
        help="the site's mkdocs.yml (default: ./mkdocs.yml)",
    )
    commands = main.add_subparsers(dest="command", required=True, metavar="COMMAND")

    validate_cmd = commands.add_parser(
        "validate",
        help="check releases, customers and content; report every problem",
        epilog=EXIT_STATUS,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _output_options(validate_cmd)
    offline = "do not ask the storage whether each artifact is there (overrides storage.check in mkdocs.yml)"
    validate_cmd.add_argument("--offline", action="store_true", help=offline)

    build_cmd = commands.add_parser(
        "build",
        help="validate, then build the site atomically",
        epilog=EXIT_STATUS,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _output_options(build_cmd)
    build_cmd.add_argument(
        "--now",
        type=_instant,
        help="the instant the site describes (ISO-8601 with offset); "
        "the same inputs and --now give byte-identical output",
    )
    build_cmd.add_argument("--output", type=Path, help="output directory (default: the parent of site_dir)")
    build_cmd.add_argument("-v", "--verbose", action="store_true", help="show MkDocs' own messages")
    build_cmd.add_argument("--offline", action="store_true", help=offline)
    build_cmd.add_argument(
        "--workers",
        type=int,
        metavar="N",
        help="build processes, at most one per language (default: $EXTRANET_WORKERS, else the "
        "CPUs; 1: one process); the output is the same",
    )

    publish_cmd = commands.add_parser(
        "publish",
        help="upload every release's artifacts to the configured storage (verified, idempotent)",
        description="Check each artifact's size and sha256 against its release manifest, then upload it to the "
        "storage configured in mkdocs.yml unless it is already there with that sha256. Exit 0 when "
        "every artifact is in storage; 1 with every failure listed otherwise.",
    )
    publish_cmd.add_argument(
        "--from",
        dest="source",
        type=Path,
        metavar="DIR",
        help="directory holding <version>/<file> (default: releases/artifacts next to mkdocs.yml)",
    )

    path_cmd = commands.add_parser("upgrade-path", help="the releases an upgrade installs and what it asks of you")
    path_cmd.add_argument("source", metavar="FROM")
    path_cmd.add_argument("target", metavar="TO")
    path_cmd.add_argument("--json", action="store_true", help="print a JSON object")

    serve_cmd = commands.add_parser("serve", help="run the built site under a real web server on 127.0.0.1")
    serve_cmd.add_argument("--server", choices=servers.SERVERS, default="nginx")
    serve_cmd.add_argument("--port", type=int, default=8080)
    serve_cmd.add_argument("--output", type=Path, help="the build output directory (default: the parent of site_dir)")

    link_cmd = commands.add_parser("link", help="print one signed, expiring download URL (e.g. to send by e-mail)")
    link_cmd.add_argument("--backend", choices=("s3",), required=True)
    link_cmd.add_argument("--bucket", required=True)
    link_cmd.add_argument(
        "--key", required=True, help="the object's key, e.g. 9.3.0/intouch-crm-9.3.0-linux-x64.tar.gz"
    )
    link_cmd.add_argument("--region", required=True)
    link_cmd.add_argument("--expires", type=int, required=True, metavar="SECONDS", help="lifetime, at most 604800")
    link_cmd.add_argument("--now", type=_instant, help="sign as of this instant (ISO-8601 with offset)")
    link_cmd.add_argument("--endpoint-url", help="an S3-compatible endpoint; none for AWS")
    link_cmd.add_argument("--addressing-style", choices=("auto", "virtual", "path"), default="auto")

    deploy_cmd = commands.add_parser(
        "deploy",
        help="switch a server host to a build atomically (--target), sync the web root to a bucket (--s3), "
        "or deploy to CloudFront (--cloudfront)",
        description="--target DIR: copy the build into DIR/releases/<UTC time>, test the server configuration, "
        "switch the DIR/current symlink in one step, reload the servers, keep the last --keep deploys. "
        "--s3 BUCKET: upload what changed in the web root (never the server files), delete what is gone. "
        "--cloudfront STACK: create or update the CloudFormation stack of server/cloudfront/, then the login "
        "function, the KeyValueStore, the private bucket and the edge caches.",
    )
    where = deploy_cmd.add_mutually_exclusive_group(required=True)
    where.add_argument(
        "--target",
        type=Path,
        metavar="DIR",
        help="the deploy directory on this host (mkdocs.yml's extranet.server.root must be DIR/current)",
    )
    where.add_argument("--s3", metavar="BUCKET", help="an S3 bucket that hosts the web root behind a CDN")
    where.add_argument(
        "--cloudfront",
        metavar="STACK",
        help="a CloudFormation stack (in us-east-1) that serves the build from CloudFront, logins checked at the edge",
    )
    deploy_cmd.add_argument("--output", type=Path, help="the build output directory (default: the parent of site_dir)")
    host = deploy_cmd.add_argument_group("--target")
    host.add_argument("--rollback", action="store_true", help="switch back to the deploy before the current one")
    host.add_argument(
        "--server",
        action="append",
        choices=servers.SERVERS,
        default=[],
        help="a server that serves DIR/current: its configuration is tested before the switch and "
        "it is reloaded after it (repeat for several)",
    )
    host.add_argument(
        "--test-command",
        action="append",
        default=[],
        metavar="CMD",
        help="a further check before the switch; {release} is the new deploy's directory",
    )
    host.add_argument(
        "--reload-command",
        action="append",
        metavar="CMD",
        help="reload this way instead of the servers' defaults (nginx -s reload, apachectl graceful, "
        "caddy reload --config /etc/caddy/Caddyfile --adapter caddyfile)",
    )
    host.add_argument("--keep", type=int, default=5, metavar="N", help="deploys to keep (default: 5, at least 2)")
    bucket = deploy_cmd.add_argument_group("--s3")
    bucket.add_argument("--prefix", default="", help="key prefix in the bucket, e.g. extranet/")
    bucket.add_argument("--endpoint-url", help="an S3-compatible endpoint; none for AWS")
    bucket.add_argument(
        "--region",
        help="the bucket's region (default: from the AWS configuration); with --cloudfront the stack's, "
        "which can only be us-east-1 (the default)",
    )
    bucket.add_argument(
        "--allow-private",
        action="store_true",
        help="sync even though the site has pages for customers or staff only: a bucket enforces "
        "no login, so use this only if something in front of it does",
    )
    bucket.add_argument("--dry-run", action="store_true", help="say what would be uploaded and deleted; change nothing")
    sla = commands.add_parser("sla", help="support deadlines of a plan").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    due = sla.add_parser("deadline", help="when the response to a report is due under a plan's calendar")
    due.add_argument("--plan", required=True, help="the plan's id in customers.yaml")
    due.add_argument("--severity", required=True, help="the severity's id, e.g. serious")
    due.add_argument(
        "--reported",
        required=True,
        type=_report_time,
        help="when the report was made, ISO-8601 (e.g. 2026-12-23T17:30+01:00); "
        "without an offset: wall-clock time in the plan's time zone",
    )
    due.add_argument(
        "--channel",
        help="the channel's id, e.g. phone or email (default: the severity's response "
        "that applies unless a channel overrides it)",
    )
    due.add_argument(
        "--now",
        type=_instant,
        help="the instant the calendar's years are counted from (ISO-8601 with "
        "offset; default: now), as for `build --now`",
    )
    due.add_argument("--json", action="store_true", help="print a JSON object")

    probe_cmd = commands.add_parser(
        "probe",
        help="run the access matrix against a live site: every file of the build, for every visitor",
        description="Ask the live site for every file of the build's web root, as an anonymous visitor and as "
        "each login in FILE (a list of {login, password, customer}), and compare each answer with the "
        "build's access rules and the project's users: 200 allowed; 401, 403 or a redirect to login/ "
        "denied. Prints each mismatch and `probe: N cells, M mismatches (V visitors x F files)`; exit 1 on "
        "any mismatch. Never prints a password.",
    )
    probe_cmd.add_argument(
        "url", metavar="URL", help="the site's address, its path included, e.g. https://www.anneca.cz/extranet/"
    )
    probe_cmd.add_argument(
        "--credentials",
        type=Path,
        required=True,
        metavar="FILE",
        help="YAML: a list of {login, password, customer} (customer: null for staff), one test login per kind",
    )
    probe_cmd.add_argument(
        "--output", type=Path, metavar="DIR", help="the build output directory (default: the parent of site_dir)"
    )
    probe_cmd.add_argument("--workers", type=int, default=8, metavar="N", help="requests at a time (default: 8)")
    schema_cmd = commands.add_parser("schema", help="write the JSON Schemas of the YAML files")
    schema_cmd.add_argument("--output", type=Path, default=None, help="directory (default: extranet/schemas)")
    schema_cmd.add_argument("--check", action="store_true", help="fail if the written schemas are out of date")
    _credential_commands(commands)
    _release_commands(commands)
    return main


def _output_options(command: argparse.ArgumentParser) -> None:
    group = command.add_mutually_exclusive_group()
    group.add_argument("-q", "--quiet", action="store_true", help="print errors only")
    group.add_argument(
        "--json",
        action="store_true",
        help="print one JSON object on stdout: status, counts, output paths, problems (for CI)",
    )


def _day(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{value}' is not a date as YYYY-MM-DD") from None


def _release_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from .releasing import RELEASE_KINDS

    actions = commands.add_parser("release", help="scaffold a new release").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    new = actions.add_parser(
        "new",
        help="write releases/VERSION.yaml for the given files (and upgrade-guide stubs for a major release)",
        description="Scaffold a release manifest with today's date and one artifact per FILE (size and sha256 "
        "computed; id, module and platform guessed from the previous release's file names or the "
        "file's name). Texts only a maintainer can write are TODO placeholders, which `extranet "
        "validate` reports until they are replaced.",
    )
    new.add_argument(
        "version",
        metavar="VERSION",
        help="e.g. 9.4.0; a lower version than the latest only as "
        "the next patch of an existing line (9.2.2 after 9.3.0)",
    )
    new.add_argument("files", metavar="FILE", nargs="*", type=Path, help="the release's downloadable files")
    new.add_argument("--date", type=_day, help="release date as YYYY-MM-DD (default: today)")
    new.add_argument(
        "--kind", choices=RELEASE_KINDS, help="default: from the version (x.0.0 major, x.y.0 minor, else patch)"
    )
    new.add_argument(
        "--guide",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="write upgrade-guide stubs in every language (default: for a major release only, as the "
        "demo's guides are)",
    )


def _credential_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`user` (a customer's users), `staff` (vendor staff) and `customer`: edit customers.yaml in place."""
    for command, help_ in (
        ("user", "add a customer's user, give a user a new password, remove a user"),
        ("staff", "the same for vendor staff"),
    ):
        actions = commands.add_parser(command, help=help_).add_subparsers(
            dest="action", required=True, metavar="ACTION"
        )
        add = actions.add_parser("add", help="add a user with a generated password, printed once")
        if command == "user":
            add.add_argument("customer", metavar="CUSTOMER", help="the customer's id")
        add.add_argument("login", metavar="LOGIN")
        add.add_argument("--name", required=True, help="full name, as support identifies the user")
        add.add_argument("--email", required=True)
        passwd = actions.add_parser("passwd", help="replace the password with a generated one, printed once")
        passwd.add_argument("login", metavar="LOGIN")
        for cmd in (add, passwd):
            cmd.add_argument(
                "--password-stdin",
                action="store_true",
                help="read the password from standard input instead of generating one",
            )
            cmd.add_argument("--json", action="store_true", help="print a JSON object")
        actions.add_parser("remove", help="remove the user; access ends with the next deploy").add_argument(
            "login", metavar="LOGIN"
        )
    actions = commands.add_parser("customer", help="revoke or restore a customer's access").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    for action, help_ in (
        ("revoke", "its users lose access with the next deploy (access: revoked)"),
        ("restore", "undo revoke: its users can log in again after the next deploy"),
    ):
        actions.add_parser(action, help=help_).add_argument("customer", metavar="ID")


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    logging.basicConfig(format="%(levelname)s: %(message)s", level=logging.INFO)
    logging.getLogger("botocore").setLevel(logging.WARNING)
    as_json = getattr(args, "json", False) and args.command in ("validate", "build")
    warnings = _Collect() if as_json else None
    if warnings is not None:
        logging.getLogger("mkdocs").addHandler(warnings)
    try:
        return _run(args)
    except ExtranetError as error:
        _report(args, error, warnings)
        return error.exit_status
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as error:  # a maintainer gets one line, not a traceback (re-raised with --verbose)
        if getattr(args, "verbose", False):
            raise
        message = f"internal error: {type(error).__name__}: {error}"
        if as_json:
            _print_json(args.command, "error", problems=[_message(message)])
            return 1
        print(f"extranet {args.command}: {message} (run with --verbose for details)", file=sys.stderr)
        return 1
    finally:
        if warnings is not None:
            logging.getLogger("mkdocs").removeHandler(warnings)


NOT_DONE = {
    "build": "nothing was built",
    "publish": "nothing was published",
    "user": "nothing was changed",
    "staff": "nothing was changed",
    "customer": "nothing was changed",
}
"""What a command did not do because its input is invalid, said after the count of problems.
`validate` and the commands that only read the data say the count alone: they never build."""


def _report(args: argparse.Namespace, error: ExtranetError, warnings: _Collect | None) -> None:
    """The one place an `ExtranetError` becomes output: every problem of invalid input, one per
    line, then their count; any other error as one message after the command's name (`build
    failed:` for a build). With `--json` (validate, build) the same as one JSON object on stdout."""
    if isinstance(error, InvalidInput):
        if warnings is not None:
            _print_json(args.command, "invalid", problems=[dataclasses.asdict(p) for p in error.problems])
            return
        for problem in error.problems:
            print(problem, file=sys.stderr)
        done = NOT_DONE.get(args.command)
        print(f"{len(error.problems)} problem(s)" + (f"; {done}" if done else ""), file=sys.stderr)
        return
    if warnings is not None:  # in strict mode MkDocs' warnings are what failed the build
        located = {**_message(error.message), "file": error.file, "line": error.line}
        _print_json(args.command, "failed", problems=[*map(_message, warnings.messages), located])
        return
    print(f"{_command_name(args)}: {error}", file=sys.stderr)


def _command_name(args: argparse.Namespace) -> str:
    """`extranet user add`, `extranet deploy`, ...: what a message is about; a build says `build failed`."""
    if args.command == "build":
        return "build failed"
    action = getattr(args, "action", None)
    return f"extranet {args.command}" + (f" {action}" if action else "")


class _Collect(logging.Handler):
    """MkDocs' warnings during a `--json` build: in strict mode they are what failed it."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def _message(text: str) -> dict[str, object]:
    """A problem with no place in a file, in the same shape as those that have one."""
    return {"file": None, "line": None, "column": None, "path": None, "message": text}


def _print_json(command: str, status: str, **fields: object) -> None:
    print(
        json.dumps(
            {"command": command, "status": status, **fields, **({} if "problems" in fields else {"problems": []})},
            ensure_ascii=False,
            indent=2,
        )
    )


def _counts(extranet: Extranet) -> dict[str, int]:
    return {"releases": len(extranet.releases), "customers": len(extranet.customers), "plans": len(extranet.plans)}


class _Progress:
    """What the build is doing, as one tqdm bar per stage on stderr; only shown on a terminal.

    It also remembers the stages' totals, which the `--json` report counts."""

    def __init__(self, show: bool) -> None:
        self.show = show
        self.totals: dict[str, int] = {}
        self.stage: str | None = None
        self.bar: tqdm[Any] | None = None

    def __call__(self, stage: str, done: int, total: int) -> None:
        self.totals[stage] = total
        if not self.show:
            return
        if stage != self.stage or self.bar is None:
            self.close()
            from tqdm import tqdm

            self.stage = stage
            # get_terminal_size: a terminal that reports no width (0 columns) still gets a bar.
            self.bar = tqdm(
                total=total,
                desc=stage,
                file=sys.stderr,
                leave=False,
                position=0,
                ncols=shutil.get_terminal_size().columns,
                bar_format="{desc}: {n_fmt}/{total_fmt} |{bar}| {elapsed}" if total > 1 else "{desc}…",
            )
        self.bar.update(done - self.bar.n)  # redraws at most every 0.1 s (tqdm's mininterval)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def _run(args: argparse.Namespace) -> int:
    if args.command == "validate":
        extranet = validate(args.config_file, check_storage=False if args.offline else None)
        if args.json:
            _print_json("validate", "ok", counts=_counts(extranet))
        elif not args.quiet:
            print(
                f"ok: {len(extranet.releases)} releases, {len(extranet.customers)} customers, "
                f"{len(extranet.plans)} support plan(s)"
            )
        return 0
    if args.command == "build":
        return _build(args)
    if args.command == "release":
        return _release(args)
    if args.command == "upgrade-path":
        extranet = validate(args.config_file)
        path = versions.upgrade_path(extranet.releases, args.source, args.target)
        if args.json:
            print(json.dumps(_path_json(path, extranet.guides, extranet.languages), ensure_ascii=False, indent=2))
        else:
            print(f"{path.source.version} -> " + " -> ".join(release.version for release in path.steps))
            for release, note in path.notes:
                print(f"  {release.version}: {note[extranet.languages[0]]}")
        return 0
    if args.command == "serve":
        return _serve(args)
    if args.command == "link":
        return _link(args)
    if args.command == "publish":
        return _publish(args)
    if args.command == "deploy":
        return _deploy(args)
    if args.command == "sla":
        return _sla_deadline(args)
    if args.command == "schema":
        from .schema import write_schemas

        stale = write_schemas(args.output, check=args.check)
        if stale:
            raise CommandRefused("out of date: " + ", ".join(map(str, stale)) + " (run `extranet schema`)")
        return 0
    if args.command == "probe":
        return _probe(args)
    if args.command in ("user", "staff", "customer"):
        return _edit_credentials(args)
    raise AssertionError(args.command)  # pragma: no cover


def _build(args: argparse.Namespace) -> int:
    progress = _Progress(show=sys.stderr.isatty() and not (args.quiet or args.json))
    try:
        progress("loading", 0, 1)
        extranet = validate(args.config_file, check_storage=False if args.offline else None)
        with quiet_mkdocs(logging.INFO if args.verbose else logging.WARNING):
            output = build(
                args.config_file,
                now=args.now,
                output=args.output,
                progress=progress,
                extranet=extranet,
                workers=args.workers,
            )
    finally:
        progress.close()
    if args.json:
        site = output / "site"
        _print_json(
            "build",
            "ok",
            counts={
                **_counts(extranet),
                "pages": progress.totals.get("pages", 0),
                "files": sum(1 for path in site.rglob("*") if path.is_file()),
            },
            output={"directory": str(output), "site": str(site), "server": str(output / "server")},
        )
    elif not args.quiet:
        print(f"built {output}")
    return 0


def _release(args: argparse.Namespace) -> int:
    from . import releasing

    today = dt.date.today()  # noqa: DTZ011 (the maintainer's own calendar day dates the release)
    scaffold = releasing.new(
        args.config_file, args.version, args.files, date=args.date or today, kind=args.kind, with_guide=args.guide
    )
    print(scaffold.report())
    return 0


def _sla_deadline(args: argparse.Namespace) -> int:
    extranet = validate(args.config_file)
    plan = extranet.plans.get(args.plan)
    if plan is None:
        raise CommandRefused(f"unknown plan '{args.plan}' (plans: {', '.join(extranet.plans)})")
    severity = next((s for s in plan.severities if s.id == args.severity), None)
    if severity is None:
        raise CommandRefused(
            f"unknown severity '{args.severity}' (severities of {plan.id}: {', '.join(s.id for s in plan.severities)})"
        )
    channels = [channel.id for channel in plan.channels]
    if args.channel is not None and args.channel not in channels:
        raise CommandRefused(f"unknown channel '{args.channel}' (channels of {plan.id}: {', '.join(channels)})")
    # The same years as the page's calendar.json of a build at --now: one rule for both (support_calendar.py).
    cal = support_calendar.calendar(plan.calendar, args.now or dt.datetime.now(dt.UTC))
    response = severity.response_on(args.channel) if args.channel else severity.response
    releases = support_calendar.upgrades(extranet.releases, extranet.vendor.planned_releases)
    # A time the zone skips or repeats, or a day outside the calendar's years: support_calendar's own errors.
    reported = cal.resolve(args.reported)
    due = support_calendar.deadline(cal, response.deadline, reported, releases)
    target = support_calendar.deadline(cal, response.target, reported, releases) if response.target else None
    if args.json:
        print(
            json.dumps(
                {
                    "plan": plan.id,
                    "severity": severity.id,
                    "channel": args.channel,
                    "timezone": plan.calendar.timezone,
                    "reported": due.reported.isoformat(),
                    **_due_json(due),
                    "target": None if target is None else _due_json(target),
                },
                ensure_ascii=False,
                indent=2,
            )
        )
        return 0
    print(f"deadline: {_due_text(due)}")
    if target is not None:
        print(f"target:   {_due_text(target)}")
    return 0


def _due_json(due: support_calendar.Deadline) -> dict[str, Any]:
    """`deadline`: an ISO-8601 instant in the plan's offset; for next_release the release's date, or null."""
    if due.at is not None:
        value: str | None = due.at.isoformat()
    else:
        value = due.release.date.isoformat() if due.release else None
    return {
        "deadline": value,
        "rule": support_calendar.rule_text(due.rule),
        "release": None
        if due.release is None
        else {"version": due.release.version, "date": due.release.date.isoformat(), "published": due.published},
    }


def _due_text(due: support_calendar.Deadline) -> str:
    rule_text = support_calendar.rule_text
    if due.at is not None:
        return f"{due.at.isoformat()} ({due.at:%a %d %b %Y %H:%M} {due.at.tzname()}; {rule_text(due.rule)})"
    if due.release is not None:
        state = "published" if due.published else "planned"
        return f"{due.release.date.isoformat()} (release {due.release.version}, {state}; {rule_text(due.rule)})"
    return f"none yet: no release is planned after {due.reported.date().isoformat()} ({rule_text(due.rule)})"


def _link(args: argparse.Namespace) -> int:
    """Credentials come from the standard AWS environment variables, never from arguments."""
    from .storage import S3Storage

    now = args.now or dt.datetime.now(dt.UTC)
    bucket = S3Storage(args.bucket, args.region, args.expires, args.endpoint_url, args.addressing_style)
    print(bucket.presign(args.key, now, filename=args.key.rsplit("/", 1)[-1]))
    return 0


def _publish(args: argparse.Namespace) -> int:
    """Failures go to stderr as `file:line:column: path: message`, all of them; the summary to stdout."""
    from .publishing import publish

    summary = publish(args.config_file, args.source)
    for problem in summary.failures:
        print(problem, file=sys.stderr)
    print(summary.report())
    return 1 if summary.failures else 0


def _serve(args: argparse.Namespace) -> int:
    """Serve the build under a real server; a rebuild (`extranet build` while it runs) is picked up.

    The server files are rendered here, for this run's ports and paths, from the data (users) and
    the build's `server/access.json` (rules, base path). A build swaps its whole output directory in
    one step, so a new `access.json` means a complete new build: the files are rendered again from
    it and the data, and the server reloaded. Rejected: watching `content/` and building here
    (`extranet build` is the one way to build, and its errors are its own)."""
    import tempfile

    from .building import load_site_config, plugin_config

    extranet = validate(args.config_file)
    config = load_site_config(args.config_file)
    output = (args.output or Path(config.site_dir).parent).resolve()
    built = output / "server/access.json"
    if not built.exists():
        raise CommandRefused(f"{output} holds no build; run `extranet build` first")
    options = plugin_config(config)
    root = args.config_file.resolve().parent
    secret = servers.session_secret()
    downloads, download_secret = None, ""
    if options.storage.backend == "local":
        downloads, download_secret = root / options.storage.root, storage.download_secret(options.storage.secret_env)
    with tempfile.TemporaryDirectory(prefix="extranet-serve-") as runtime:

        def prepare(extranet: Extranet) -> tuple[list[str], str]:
            """The server files for the data and the build's rules; the command and the base path."""
            areas, base = _built_rules(built)
            return servers.prepare(
                args.server,
                extranet,
                areas,
                root / options.templates,
                output / "site",
                Path(runtime),
                args.port,
                secret,
                downloads,
                download_secret,
                base,
            ), base

        seen = _stamp(built)
        command, base = prepare(extranet)

        def rebuilt() -> bool:
            nonlocal seen
            stamp = _stamp(built)
            if stamp is None or stamp == seen:  # None: between the two renames of a build's swap
                return False
            seen = stamp
            try:
                prepare(validate(args.config_file))
            except ExtranetError as error:
                print(
                    f"extranet serve: {output} was rebuilt, but cannot be served ({error}); still serving the "
                    f"previous build: fix it and build again, or restart `extranet serve`",
                    file=sys.stderr,
                )
                return False
            print(f"rebuilt: {args.server} reloaded with the new build's users and rules", file=sys.stderr)
            return True

        print(f"serving {output / 'site'} with {args.server} on http://127.0.0.1:{args.port}{base} (Ctrl+C stops)")
        print(f"a rebuild (`extranet build`) is picked up: {args.server} is reloaded with its users and rules")
        if downloads and args.server == "caddy":
            print(
                "note: Caddy cannot check signed download links; downloads/ answers 404 (use nginx or apache)",
                file=sys.stderr,
            )
        sys.stdout.flush()
        return servers.run(command, secret, download_secret, server=args.server, rebuilt=rebuilt)


def _built_rules(built: Path) -> tuple[list[Area], str]:
    """The access rules and the base path a build recorded in its `access.json`."""
    from . import access_record

    recorded = access_record.read(built.parent.parent)
    # The path of site_url, which the build signed its download links for (a build before it: `/`).
    try:
        base = servers.base_path(recorded.base)
    except ValueError as error:
        raise CommandRefused(str(error), file=str(built)) from None
    return list(recorded.areas), base


def _stamp(path: Path) -> tuple[int, int] | None:
    """What changes when a build replaces `path`: its inode and modification time."""
    try:
        status = path.stat()
    except FileNotFoundError:
        return None
    return status.st_ino, status.st_mtime_ns


def _probe(args: argparse.Namespace) -> int:
    """Mismatches and the summary to stdout, notes about logins to stderr; exit 1 on any mismatch."""
    from . import access, access_record, probe
    from .building import load_site_config

    if args.workers < 1:
        raise UsageError("--workers must be at least 1")
    accounts = probe.read_credentials(args.credentials)
    output = args.output or Path(load_site_config(args.config_file).site_dir).parent
    try:
        recorded = access_record.read(output)
    except access_record.NoBuild as error:
        raise CommandRefused(str(error)) from None
    address = probe.site_address(args.url, recorded.base)
    # The users as the data says now (not the build's server files); the storage is not asked about artifacts.
    extranet = validate(args.config_file, check_storage=False)
    principals = {principal.login: principal for principal in access.principals(extranet)}
    result = probe.run(
        address,
        accounts,
        principals,
        recorded.areas,
        probe.web_root_files(output / "site"),
        workers=args.workers,
    )
    probe.report(result, sys.stdout)
    return 1 if result.mismatches else 0


def _deploy(args: argparse.Namespace) -> int:
    usage = _deploy_usage(args)
    if usage:
        raise UsageError(usage)
    if args.output is None and not args.rollback:
        from .building import load_site_config

        try:
            args.output = Path(load_site_config(args.config_file).site_dir).parent
        except BuildFailed as error:
            raise UsageError(f"no --output given, and {error}") from None
    if args.s3:
        return _sync(args)
    if args.cloudfront:
        return _deploy_cloudfront(args)
    from . import deploying

    options = deploying.Options(
        servers=tuple(dict.fromkeys(args.server)),
        test_commands=tuple(args.test_command),
        reload_commands=tuple(args.reload_command) if args.reload_command else None,
        keep=args.keep,
    )
    if args.rollback:
        outcome = deploying.rollback(args.target, options)
        verb = "rolled back from"
    else:
        outcome = deploying.deploy(args.output, args.target, options)
        verb = "replaced"
    release = outcome.release.relative_to(outcome.release.parent.parent)
    print(f"current -> {release}" + (f" ({verb} {outcome.previous.name})" if outcome.previous else ""))
    if outcome.reloaded:
        print("reloaded: " + ", ".join(outcome.reloaded))
    if outcome.removed:
        print("removed old deploys: " + ", ".join(outcome.removed))
    return 0


_HOST_ONLY = ("--rollback", "--server", "--test-command", "--reload-command")
"""Options of a deploy to a host (--target) only."""
_BUCKET = ("--prefix", "--endpoint-url", "--allow-private", "--dry-run")
"""Options of a deploy to a bare bucket (--s3) only."""


def _given(args: argparse.Namespace, flags: tuple[str, ...]) -> list[str]:
    """The flags among `flags` given on the command line."""
    return [flag for flag in flags if getattr(args, flag[2:].replace("-", "_"))]


def _deploy_usage(args: argparse.Namespace) -> str | None:
    """Options that belong to the other kind of deploy, or a host deploy that would reload nothing."""
    if args.cloudfront:
        wrong = _given(args, _HOST_ONLY + _BUCKET)
        return f"{', '.join(wrong)}: not with --cloudfront" if wrong else None
    if args.s3:
        wrong = _given(args, _HOST_ONLY)
        return f"{', '.join(wrong)}: only with --target, not with --s3" if wrong else None
    wrong = _given(args, ("--prefix", "--endpoint-url", "--region", "--allow-private", "--dry-run"))
    if wrong:
        return f"{', '.join(wrong)}: only with --s3, not with --target"
    if args.rollback and args.output is not None:
        return "--rollback takes no --output: it switches to a deploy already on this host"
    if args.keep < 2:
        return "--keep must be at least 2, or there is nothing to roll back to"
    if not args.server and not args.reload_command:
        return (
            "say which server serves the site (--server nginx|apache|caddy) or how to reload it "
            "(--reload-command CMD): the access rules change with each build and apply only after a reload"
        )
    return None


def _sync(args: argparse.Namespace) -> int:
    """Credentials come from the standard AWS environment or configuration, never from arguments."""
    from . import syncing

    result = syncing.sync(
        args.output,
        args.s3,
        prefix=args.prefix,
        endpoint_url=args.endpoint_url,
        region=args.region,
        allow_private=args.allow_private,
        dry_run=args.dry_run,
    )
    would = "would be " if args.dry_run else ""
    print(
        f"s3://{args.s3}/{args.prefix}: {len(result.uploaded)} {would}uploaded, {len(result.deleted)} "
        f"{would}deleted, {result.unchanged} unchanged"
    )
    for key in result.uploaded:
        print(f"  upload {key}")
    for key in result.deleted:
        print(f"  delete {key}")
    return 0


def _deploy_cloudfront(args: argparse.Namespace) -> int:
    """Credentials come from the standard AWS environment or configuration, never from arguments."""
    from .cloudfront import deploy

    deploy.deploy(args.output, args.cloudfront, region=args.region or deploy.REGION)
    return 0


def _edit_credentials(args: argparse.Namespace) -> int:
    """Dispatch to `extranet.credentials`; a generated password goes to stdout once, nothing secret to stderr."""
    staff = args.command == "staff"
    password = credentials.read_password(sys.stdin) if getattr(args, "password_stdin", False) else None
    if args.command == "customer":
        change = credentials.set_access(args.config_file, args.customer, revoked=args.action == "revoke")
    elif args.action == "add":
        change = credentials.add_user(
            args.config_file,
            None if staff else args.customer,
            args.login,
            name=args.name,
            email=args.email,
            password=password,
        )
    elif args.action == "passwd":
        change = credentials.set_password(args.config_file, args.login, staff=staff, password=password)
    else:
        change = credentials.remove_user(args.config_file, args.login, staff=staff)
    print(change.json() if getattr(args, "json", False) else change.report())
    return 0


def _path_json(path: versions.UpgradePath, guides: Mapping[str, Any], languages: tuple[str, ...]) -> dict[str, Any]:
    return {
        "from": path.source.version,
        "to": path.target.version,
        "path": [release.version for release in path.steps],
        "passes": [release.version for release in path.passed],
        "notes": [
            {"version": release.version, **{lang: note[lang] for lang in languages}} for release, note in path.notes
        ],
        "guides": [{"version": release.version, "page": guides[release.version]} for release in path.guides(guides)],
    }


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
