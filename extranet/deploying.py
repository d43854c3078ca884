"""Deploys on a server host: one directory per deploy, one atomic switch of `current`, rollback.

Layout of a deploy target `DIR`:

    DIR/releases/20261123T170102Z/{site,server}   one copy of a build output per deploy
    DIR/current -> releases/20261123T170102Z      what the web server serves

The generated server files refer to `extranet.server.root` of mkdocs.yml, which must be
`DIR/current`: the server always reads through the symlink, so replacing the symlink (a temporary
symlink renamed over `current`, one `rename()`) switches every file of the site at once; a request
sees either the old release or the new one, never a mix, and nothing is ever half-copied.

Testing a configuration that refers to `current` before `current` points at it. The choice: each
server's own test (`nginx -t`, `apache2 -t`, `caddy validate`) runs on the release's standalone
configuration in a private copy where the deploy root is rewritten to a temporary directory whose
`site` is the new release's web root and whose `server` is a copy of its server files. So the
test reads exactly the files the switch would bring in (every include, the credential files, the
njs/lua code, the server's own modules) with the host's own server program, and nothing the
running server reads is touched. Two host paths outside the build are replaced by stand-ins in the
same temporary directory, because a deploy changes the build, not the host, and a test must not
write to the host's `/run`: the run directory and nginx's secrets for sessions and download links
(placeholder values).
What this does not test is the host's own wrapper (its `http {}`/`VirtualHost`/site block); it
does not change with a deploy, and `--test-command` runs any further check the host wants (with
`{release}` replaced by the new release's directory) before the switch as well.

Rejected alternatives: testing the host's configuration after the switch (a failing config would
already be live, against "never switched in"); re-rendering the templates with other paths (a
host holds the build output, not the project and its data).

Between the switch and the reload, the server that still runs the previous configuration serves
the new release's files; the reload follows at once (milliseconds). A reload that fails puts
`current` back and reloads again, so the server never keeps running old rules on new files.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import grp
import os
import pwd
import re
import shlex
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from . import access_record, servers
from .exceptions import ExtranetError

RELEASES = "releases"
CURRENT = "current"
_NAME = re.compile(r"^(\d{8}T\d{6}Z)(?:-(\d+))?$")


class DeployFailed(ExtranetError):
    """The deploy or rollback stopped; the message says why and where `current` points."""


@dataclass(frozen=True)
class Options:
    servers: tuple[str, ...] = ()
    """Servers whose configuration is tested before the switch and which are reloaded after it."""
    test_commands: tuple[str, ...] = ()
    """Further checks before the switch; `{release}` is the directory of the release to switch to."""
    reload_commands: tuple[str, ...] | None = None
    """Replace the servers' default reload commands (None: the defaults of `servers.KINDS`)."""
    keep: int = 5


@dataclass
class Outcome:
    release: Path
    previous: Path | None
    removed: list[str] = field(default_factory=list)
    reloaded: list[str] = field(default_factory=list)


def release_name(now: dt.datetime, taken: set[str]) -> str:
    """`20261123T170102Z`, or with `-2`, `-3`... when deploys fall within one second.

    Never earlier than a kept deploy (a clock set back): names order the deploys for rollback."""
    stamp = max([now.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ"), *(_order(name)[0] for name in taken)])
    name, n = stamp, 1
    while name in taken:
        n += 1
        name = f"{stamp}-{n}"
    return name


def _order(name: str) -> tuple[str, int]:
    match = _NAME.match(name)
    assert match is not None
    return match.group(1), int(match.group(2) or 1)


def releases(target: Path) -> list[str]:
    """The deploys kept under `target`, oldest first."""
    directory = target / RELEASES
    if not directory.is_dir():
        return []
    return sorted(
        (entry.name for entry in directory.iterdir() if _NAME.match(entry.name) and entry.is_dir()), key=_order
    )


def current(target: Path) -> str | None:
    """The release `current` points at, or None before the first deploy."""
    link = target / CURRENT
    if not link.is_symlink():
        if link.exists():
            raise DeployFailed(f"{link} is not a symlink; move it away (a deploy manages it)")
        return None
    destination = os.readlink(link)
    parent, _, name = destination.rpartition("/")
    if parent != RELEASES or not _NAME.match(name):
        raise DeployFailed(f"{link} points at {destination}, not at a deploy under {RELEASES}/")
    return name


@contextlib.contextmanager
def _locked(target: Path) -> Iterator[None]:
    """One deploy at a time per target: two would race for names, the switch and pruning."""
    target.mkdir(parents=True, exist_ok=True)
    with open(target / ".deploy.lock", "a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise DeployFailed(f"another deploy to {target} is running") from None
        yield


def _build_root(server_dir: Path) -> str:
    try:
        recorded = access_record.read(server_dir.parent)
    except access_record.NoBuild as error:
        raise DeployFailed(str(error)) from None
    if recorded.root is None:
        raise DeployFailed(
            f"{server_dir / access_record.NAME} does not say which deploy root it was built for; "
            "rebuild with this version of extranet"
        )
    return recorded.root.rstrip("/")


def deploy(output: Path, target: Path, options: Options, *, now: dt.datetime | None = None) -> Outcome:
    """Copy the build `output` into a new release, test it, switch `current` to it, reload, prune."""
    output, target = output.absolute(), target.absolute()
    for part in ("site", "server"):
        if not (output / part).is_dir():
            raise DeployFailed(f"{output} holds no build (no {part}/); run `extranet build`")
    root = _build_root(output / "server")
    if "nginx" in options.servers:
        defaults = servers.Layout(site="", files="")
        weak = [
            problem
            for path in (defaults.secret_file, defaults.download_secret_file)
            if (problem := servers.weak_secret_file(Path(path)))
        ]
        if weak:
            raise DeployFailed("\n".join(weak))
    expected = os.path.normpath(target / CURRENT)
    if os.path.normpath(root) != expected:
        raise DeployFailed(
            f"{output} was built for the deploy root {root}, not {expected}: set "
            f"extranet.server.root in mkdocs.yml to {expected} and build again"
        )
    with _locked(target):
        before = current(target)
        (target / RELEASES).mkdir(exist_ok=True)
        _remove_incoming(target)
        name = release_name(now or dt.datetime.now(dt.UTC), set(releases(target)))
        incoming = target / RELEASES / f".incoming-{name}"
        try:
            incoming.mkdir()
            os.chmod(incoming, 0o755)  # noqa: S103 (the web server's user reads the release)
            for part in ("site", "server"):
                shutil.copytree(output / part, incoming / part, symlinks=True)
            _grant_credentials(incoming / "server", options)
            _check(
                incoming,
                root,
                options,
                shown=output,
                what="the new build's",
                unchanged=f"{CURRENT} still points at {RELEASES}/{before}" if before else "nothing was switched in",
            )
            release = target / RELEASES / name
            os.rename(incoming, release)
        except BaseException:
            shutil.rmtree(incoming, ignore_errors=True)
            raise
        _switch(target, name)
        outcome = Outcome(release, target / RELEASES / before if before else None)
        outcome.reloaded = _reload_or_restore(target, name, before, options)
        outcome.removed = prune(target, options.keep)
        return outcome


def rollback(target: Path, options: Options) -> Outcome:
    """Switch `current` back to the deploy before it, after testing that deploy's configuration."""
    target = target.absolute()
    with _locked(target):
        now = current(target)
        if now is None:
            raise DeployFailed(f"nothing to roll back: {target / CURRENT} does not exist")
        kept = releases(target)
        position = kept.index(now) if now in kept else len(kept)
        if position == 0:
            raise DeployFailed(f"nothing to roll back to: {RELEASES}/{now} is the oldest deploy kept in {target}")
        previous = kept[position - 1]
        release = target / RELEASES / previous
        _check(
            release,
            _build_root(release / "server"),
            options,
            shown=release,
            what=f"{RELEASES}/{previous}'s",
            unchanged=f"{CURRENT} still points at {RELEASES}/{now}",
        )
        _switch(target, previous)
        outcome = Outcome(release, target / RELEASES / now)
        outcome.reloaded = _reload_or_restore(target, previous, now, options)
        return outcome


def prune(target: Path, keep: int) -> list[str]:
    """Remove all but the newest `keep` deploys; never the one `current` points at."""
    kept = releases(target)
    live = current(target)
    removed = [name for name in kept[: max(len(kept) - keep, 0)] if name != live]
    for name in removed:
        shutil.rmtree(target / RELEASES / name)
    return removed


def _grant_credentials(server_dir: Path, options: Options) -> None:
    """Credential files (0600 in a build) become readable by the servers' group: 0640, owned by root.

    nginx's and Apache's workers read the htpasswd at each login, as www-data; Caddy reads its
    accounts as caddy. Only when deploying as root, the usual case, and only for the chosen servers."""
    if os.getuid() != 0:
        return
    for server in options.servers:
        kind = servers.KINDS[server]
        try:
            gid = grp.getgrnam(kind.group).gr_gid
        except KeyError:
            raise DeployFailed(
                f"group {kind.group} does not exist: is {kind.program} installed "
                f"(Debian: apt-get install {kind.packages})?"
            ) from None
        for name in kind.credentials:
            path = server_dir / name
            if path.exists():
                os.chown(path, 0, gid)
                os.chmod(path, 0o640)


def _remove_incoming(target: Path) -> None:
    """Left over by a deploy that was killed mid-copy (never switched in)."""
    for entry in (target / RELEASES).glob(".incoming-*"):
        shutil.rmtree(entry, ignore_errors=True)


def _switch(target: Path, name: str) -> None:
    """One rename() of a fresh symlink over `current`: readers see the old target or the new one."""
    temporary = target / f".{CURRENT}.{os.getpid()}"
    with contextlib.suppress(FileNotFoundError):
        temporary.unlink()
    os.symlink(f"{RELEASES}/{name}", temporary)
    os.replace(temporary, target / CURRENT)


def _run(command: Sequence[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(  # noqa: S603 (our own argv, no shell)
            list(command), capture_output=True, text=True, env={**os.environ, **(env or {})}, timeout=120, check=False
        )
    except FileNotFoundError:
        raise DeployFailed(f"{command[0]}: command not found") from None


def _check(release: Path, root: str, options: Options, *, shown: Path, what: str, unchanged: str) -> None:
    """Test `release`'s server configuration as the switch would bring it in (see the module's docstring)."""
    for server in options.servers:
        with tempfile.TemporaryDirectory(prefix="extranet-check-") as scratch:
            stand_in = Path(scratch) / "root"
            runtime = Path(scratch) / "run"
            _test_copy(release, root, stand_in, runtime)
            try:
                command, env = servers.check_command(server, runtime, stand_in / "server")
            except servers.ServerMissing as error:
                raise DeployFailed(str(error)) from None
            result = _run([*_unprivileged(Path(scratch)), *command], env)
            if result.returncode != 0:
                report = _report(result).replace(f"{stand_in}/", f"{shown}/")
                raise DeployFailed(f"{server} rejects {what} configuration, so {unchanged}:\n{report}")
    for template in options.test_commands:
        command = [part.replace("{release}", str(release)) for part in shlex.split(template)]
        result = _run(command)
        if result.returncode != 0:
            raise DeployFailed(
                f"`{shlex.join(command)}` rejects {what} configuration (exit {result.returncode}), "
                f"so {unchanged}:\n{_report(result)}"
            )


_NGINX_LOG = re.compile(r"^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d (\[\w+\]) \d+#\d+: ", re.MULTILINE)


def _report(result: subprocess.CompletedProcess[str]) -> str:
    """A check's own words, without what differs from run to run or says nothing (timestamps, info lines)."""
    lines = []
    for line in (result.stderr + result.stdout).strip().splitlines():
        if line.startswith("{") and '"level":"info"' in line:  # Caddy's progress, as JSON
            continue
        if 'the "user" directive makes sense only if' in line:  # nginx, checked as `nobody`
            continue
        lines.append(_NGINX_LOG.sub(r"nginx: \1 ", line))
    return "\n".join(lines)


def _unprivileged(scratch: Path) -> list[str]:
    """Started as root, the check runs as `nobody`, owner of the scratch copy and nothing else.

    The standalone configuration comes from the build, and a server reading it as root would
    obey a `load_module` or `LoadModule` in it: whoever can hand a build to a deploy would run
    code as root. As `nobody` without capabilities the check can read the copy and nothing private."""
    if os.getuid() != 0:
        return []
    nobody = pwd.getpwnam("nobody")
    for path in (scratch, *scratch.rglob("*")):
        os.chown(path, nobody.pw_uid, nobody.pw_gid, follow_symlinks=False)
    return [
        "setpriv",
        f"--reuid={nobody.pw_uid}",
        f"--regid={nobody.pw_gid}",
        "--clear-groups",
        "--inh-caps=-all",
        "--bounding-set=-all",
    ]


def _test_copy(release: Path, root: str, stand_in: Path, runtime: Path) -> None:
    """`stand_in/site` -> the release's web root; `stand_in/server`: its server files, host paths rewritten."""
    defaults = servers.Layout(site="", files="")
    stand_in.mkdir()
    (stand_in / "site").symlink_to(release / "site")
    runtime.mkdir()
    for sub in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi", "config", "data"):
        (runtime / sub).mkdir()
    rewrites = [
        (re.compile(re.escape(root) + r"(?=/)"), str(stand_in)),
        (re.compile(re.escape(defaults.runtime) + r"(?=[/\"\s;]|$)", re.MULTILINE), str(runtime)),
    ]
    for host_file, variable in (
        (defaults.secret_file, "extranet_secret"),
        (defaults.download_secret_file, "extranet_download_secret"),
    ):
        stand_in_file = runtime / Path(host_file).name
        stand_in_file.write_text(f'map "" ${variable} {{ default "configuration-test-only"; }}\n', encoding="utf-8")
        rewrites.append((re.compile(re.escape(host_file) + r"(?=[\"\s;]|$)", re.MULTILINE), str(stand_in_file)))
    for source in sorted((release / "server").rglob("*")):
        copy = stand_in / "server" / source.relative_to(release / "server")
        if source.is_dir():
            copy.mkdir(parents=True, exist_ok=True)
            continue
        copy.parent.mkdir(parents=True, exist_ok=True)
        text = source.read_text(encoding="utf-8")
        for pattern, replacement in rewrites:
            text = pattern.sub(replacement.replace("\\", "\\\\"), text)
        copy.write_text(text, encoding="utf-8")
        os.chmod(copy, source.stat().st_mode & 0o777)


def _reload_commands(options: Options) -> list[tuple[str, list[str]]]:
    if options.reload_commands is not None:
        return [(command, shlex.split(command)) for command in options.reload_commands]
    return [(server, list(servers.KINDS[server].reload)) for server in options.servers]


def _reload_or_restore(target: Path, name: str, previous: str | None, options: Options) -> list[str]:
    """Reload every server; if one fails, put `current` back and reload again (best effort)."""
    done = []
    for label, command in _reload_commands(options):
        result = _run(command)
        if result.returncode != 0:
            detail = (result.stderr + result.stdout).strip()
            if previous is None:
                raise DeployFailed(
                    f"reloading {label} failed (exit {result.returncode}); {CURRENT} points at "
                    f"{RELEASES}/{name}, the first deploy:\n{detail}"
                )
            _switch(target, previous)
            for _, again in _reload_commands(options):
                _run(again)
            raise DeployFailed(
                f"reloading {label} failed (exit {result.returncode}), so {CURRENT} points back at "
                f"{RELEASES}/{previous}:\n{detail}"
            )
        done.append(label)
    return done
