"""Failed logins are rate-limited per client address: on Apache and Caddy that is fail2ban's job.

A real fail2ban-server, with a configuration directory of its own (never /etc/fail2ban or the
system service), runs the jail and filter the build ships against the running server's real log,
with a dummy action instead of the firewall. Without fail2ban the test fails; it is never skipped.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import pytest

from .servers import Server, Visitor
from .test_access import server_basic

pytestmark = pytest.mark.fail2ban

STOCK = Path("/etc/fail2ban")
"""Debian's fail2ban configuration: only its stock Apache filter and dummy action are copied."""
JAILS = {"apache": "apache-auth", "caddy": "extranet-caddy"}
GUESSER = Visitor("guesser", "labe.dvorakova", "wrong-password", address="127.0.0.210")
TYPO = Visitor("typo", "labe.dvorakova", "typo", address="127.0.0.211")


def fail2ban_program(name: str) -> str:
    program = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/bin:/sbin:/bin")
    assert program is not None and (STOCK / "filter.d/apache-auth.conf").is_file(), (
        f"{name} is not installed (Debian: apt-get install fail2ban)")
    return program


def configuration(server: Server, directory: Path) -> Path:
    """A fail2ban configuration directory: the shipped jail (and filter) as written by the build,
    the log path of this run, a dummy action, nothing from the system's jails."""
    files = server.runtime / "files" / server.name
    log = server.runtime / ("server.log" if server.name == "apache" else "access.log")
    conf = directory / "conf"
    (conf / "jail.d").mkdir(parents=True)
    (conf / "filter.d").mkdir()
    (conf / "action.d").mkdir()
    (conf / "fail2ban.conf").write_text(
        f"[Definition]\nloglevel = INFO\nlogtarget = {directory / 'fail2ban.log'}\n"
        f"socket = {directory / 'fail2ban.sock'}\npidfile = {directory / 'fail2ban.pid'}\n"
        "dbfile = :memory:\ndbpurgeage = 1d\n")
    # Debian's paths-debian.conf defines apache_error_log, which the shipped Apache jail names.
    (conf / "jail.conf").write_text(
        f"[DEFAULT]\napache_error_log = {log}\nignoreself = false\nignoreip =\nbackend = polling\n"
        f"banaction = dummy\naction = dummy[target={directory / 'banned.txt'}]\n")
    for name in ("common.conf", "apache-common.conf", "apache-auth.conf"):
        shutil.copy(STOCK / "filter.d" / name, conf / "filter.d" / name)
    shutil.copy(STOCK / "action.d/dummy.conf", conf / "action.d/dummy.conf")
    shutil.copy(files / "fail2ban-jail.conf", conf / "jail.d" / f"extranet-{server.name}.conf")
    if server.name == "caddy":
        shutil.copy(files / "fail2ban-filter.conf", conf / "filter.d/extranet-caddy.conf")
        # The shipped jail names the deploy path of the log; this run's log is in the runtime.
        (conf / "jail.d/extranet-caddy.local").write_text(f"[extranet-caddy]\nlogpath = {log}\n")
    assert log.is_file(), f"no log at {log}"
    return conf


def client(directory: Path, *arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run([fail2ban_program("fail2ban-client"), "-s", str(directory / "fail2ban.sock"), *arguments],
                          capture_output=True, text=True, timeout=30)


def banned(directory: Path, jail: str) -> set[str]:
    result = client(directory, "get", jail, "banned")
    assert result.returncode == 0, result.stdout + result.stderr
    # fail2ban-client prints the list as a Python list: ['127.0.0.210', ...]
    return {part.strip(" '\"[]\n") for part in result.stdout.split(",")} - {""}


@pytest.mark.parametrize("name", ["apache", "caddy"])
def test_fail2ban_bans_an_address_after_failed_logins(running: dict[str, Server], name: str, tmp_path: Path):
    """The shipped jail bans the address that failed 12 logins, not one that failed once."""
    server = running[name]
    jail = JAILS[name]
    conf = configuration(server, tmp_path)
    process = subprocess.Popen([fail2ban_program("fail2ban-server"), "-f", "-x", "-c", str(conf),
                                "-s", str(tmp_path / "fail2ban.sock"), "-p", str(tmp_path / "fail2ban.pid")],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 30
        while client(tmp_path, "status", jail).returncode != 0:
            assert process.poll() is None and time.monotonic() < deadline, (
                f"fail2ban did not start jail {jail}:\n{process.stdout.read() if process.poll() is not None else ''}"
                + ((tmp_path / "fail2ban.log").read_text() if (tmp_path / "fail2ban.log").exists() else ""))
            time.sleep(0.2)
        path = "/login/" if name == "apache" else "/releases/"
        statuses = [server.request(path, server_basic(GUESSER), source=GUESSER.address)[0] for _ in range(12)]
        assert statuses == [401] * 12
        assert server.request(path, server_basic(TYPO), source=TYPO.address)[0] == 401
        deadline = time.monotonic() + 30
        while GUESSER.address not in (found := banned(tmp_path, jail)) and time.monotonic() < deadline:
            time.sleep(0.5)
        log = (tmp_path / "fail2ban.log").read_text()
        assert GUESSER.address in found, f"{GUESSER.address} not banned by {jail}:\n{log}"
        assert TYPO.address not in found, f"{TYPO.address} banned after one failed login:\n{log}"
        assert f"+{GUESSER.address}" in (tmp_path / "banned.txt").read_text(), "the ban action did not run"
    finally:
        client(tmp_path, "stop")
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
