"""`extranet deploy --target`: one directory per deploy, one atomic switch of `current`, rollback.

The switch is shown on a real nginx serving the `current` symlink while a thread requests a public
page in a bounded loop; the file-system behaviour (names, pruning, rollback, refusals) on small
hand-made build outputs, which need no MkDocs build.
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import os
import shlex
import shutil
import threading
import time
from pathlib import Path

import pytest

from extranet import cli, deploying, servers
from extranet.building import build, validate

from .conftest import NOW_DT, Project
from .endpoints import free_port

MARKERS = ("marker-alpha-1", "marker-bravo-2")


# --- a real build on a real nginx --------------------------------------------------------------

@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Two builds of one small project for the deploy root `<tmp>/target/current`, differing in a marker."""
    base = tmp_path_factory.mktemp("deploy")
    project = Project(base / "project")
    target = base / "target"
    project.replace("mkdocs.yml", "      storage:\n", f"      server:\n        root: {target}/current\n      storage:\n")
    outputs = {"target": target, "project": project.root}
    for marker in MARKERS:
        project.replace("mkdocs.yml", "site_name: Test extranet", f"site_name: Test extranet {marker}")
        outputs[marker] = build(project.config, now=NOW_DT, output=base / marker)
        project.replace("mkdocs.yml", f"site_name: Test extranet {marker}", "site_name: Test extranet")
    return outputs


def deploy(*arguments: object) -> int:
    return cli.main(["deploy", *map(str, arguments)])


class Requests(threading.Thread):
    """GET / over and over, a new connection each time (as many browsers do), and what came back."""

    def __init__(self, port: int, limit: int = 20000):
        super().__init__(daemon=True)
        self.port, self.limit = port, limit
        self.done = threading.Event()
        self.count = 0
        self.seen: list[str] = []
        """The markers served, consecutive repeats collapsed: the order of the switches."""
        self.failures: list[object] = []

    def run(self) -> None:
        while not self.done.is_set() and self.count < self.limit:
            self.count += 1
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                connection.request("GET", "/", headers={"Connection": "close"})
                response = connection.getresponse()
                body = response.read()
                connection.close()
            except OSError as error:
                self.failures.append(repr(error))
                continue
            markers = [marker for marker in MARKERS if marker.encode() in body]
            if response.status != 200 or len(markers) != 1:
                self.failures.append((response.status, markers))
            elif not self.seen or self.seen[-1] != markers[0]:
                self.seen.append(markers[0])

    def wait_for(self, marker: str, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while not (self.seen and self.seen[-1] == marker):
            assert self.is_alive() and time.monotonic() < deadline, f"{marker} never served; seen {self.seen}"
            time.sleep(0.01)


@pytest.mark.servers
def test_switch_and_rollback_under_load_fail_no_request(builds, tmp_path: Path, capsys) -> None:
    target = builds["target"]
    shutil.rmtree(target, ignore_errors=True)
    alpha, bravo = MARKERS
    project = builds["project"]
    areas = _areas(builds[alpha])
    runtime = tmp_path / "nginx"
    port = free_port()
    reload = shlex.join(["nginx", "-p", str(runtime), "-c", str(runtime / "files/nginx/standalone.conf"), "-s", "reload"])
    options = ["--target", target, "--server", "nginx", "--reload-command", reload]

    # nginx serves `current` through the symlink (never resolved); the first deploy creates it.
    command = servers.prepare("nginx", validate(project / "mkdocs.yml"), areas, project / "site_templates",
                              target / "current/site", runtime, port, "s" * 48)
    assert f"root {target}/current/site;" in (runtime / "files/nginx/extranet-server.conf").read_text()
    process = _start(command, runtime, port)
    requests = Requests(port)
    during = []
    """Requests answered while each deploy ran: each switch and reload happened under load."""

    def deploy_under_load(*arguments: object) -> None:
        before = requests.count
        assert deploy(*arguments, *options) == 0
        during.append(requests.count - before)

    try:
        assert deploy("--output", builds[alpha], *options) == 0
        first = os.readlink(target / "current")
        requests.start()
        requests.wait_for(alpha)
        deploy_under_load("--output", builds[bravo])
        requests.wait_for(bravo)
        second = os.readlink(target / "current")
        deploy_under_load("--output", builds[alpha])
        requests.wait_for(alpha)
        third = os.readlink(target / "current")
        deploy_under_load("--rollback")
        requests.wait_for(bravo)
    finally:
        requests.done.set()
        requests.join(timeout=30)
        process.terminate()
        process.wait(timeout=10)
    assert requests.failures == []
    assert requests.seen == [alpha, bravo, alpha, bravo]
    assert min(during) >= 20, f"too few requests while deploying: {during}"
    with capsys.disabled():
        print(f"\n{requests.count} requests ({' + '.join(map(str, during))} while the 3 deploys ran), "
              f"{len(requests.failures)} failed")
    assert os.readlink(target / "current") == second
    assert len({first, second, third}) == 3
    assert [f"releases/{name}" for name in deploying.releases(target)] == [first, second, third]
    out = capsys.readouterr().out
    assert f"current -> {second} (rolled back from {third.split('/')[1]})\nreloaded: {reload}\n" in out


@pytest.mark.servers
def test_a_configuration_that_fails_nginx_t_is_never_switched_in(builds, tmp_path: Path, capsys) -> None:
    target = builds["target"]
    shutil.rmtree(target, ignore_errors=True)
    alpha = MARKERS[0]
    assert deploy("--output", builds[alpha], "--target", target, "--server", "nginx", "--reload-command", "true") == 0
    before = os.readlink(target / "current")
    broken = tmp_path / "broken"
    shutil.copytree(builds[alpha], broken)
    server_file = broken / "server/nginx/extranet-server.conf"
    server_file.write_text("bogus_directive on;\n" + server_file.read_text())
    capsys.readouterr()

    status = deploy("--output", broken, "--target", target, "--server", "nginx", "--reload-command", "false")

    assert status == 1
    assert capsys.readouterr().err == (
        f"extranet deploy: nginx rejects the new build's configuration, so current still points at {before}:\n"
        f'nginx: [emerg] unknown directive "bogus_directive" in {broken}/server/nginx/extranet-server.conf:1\n'
        f"nginx: configuration file {broken}/server/nginx/standalone.conf test failed\n")
    assert os.readlink(target / "current") == before
    assert sorted(p.name for p in (target / "releases").iterdir()) == [before.split("/")[1]]


def _areas(output: Path):
    from extranet.access import Area

    return [Area(**area) for area in json.loads((output / "server/access.json").read_text())["areas"]]


def _start(command: list[str], runtime: Path, port: int):
    import subprocess

    log = open(runtime / "server.log", "wb")  # noqa: SIM115: lives as long as the server
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 20
    while True:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/")
            connection.getresponse().read()
            return process
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("nginx did not start:\n" + (runtime / "server.log").read_text(errors="replace"))
            time.sleep(0.1)


# --- the file system: names, pruning, rollback, refusals -------------------------------------------

def fake_build(directory: Path, root: Path, marker: str) -> Path:
    """What `extranet build` leaves, reduced to what a deploy reads."""
    (directory / "site").mkdir(parents=True)
    (directory / "site/index.html").write_text(marker)
    (directory / "server").mkdir()
    (directory / "server/access.json").write_text(json.dumps({"root": str(root), "areas": []}))
    return directory


@pytest.fixture
def target(tmp_path: Path) -> Path:
    return tmp_path / "srv"


def served(target: Path) -> str:
    return (target / "current/site/index.html").read_text()


def test_keep_prunes_the_oldest_and_never_current(tmp_path: Path, target: Path) -> None:
    options = deploying.Options(reload_commands=("true",), keep=2)
    start = dt.datetime(2026, 11, 23, 17, 1, 2, tzinfo=dt.timezone.utc)
    for n in range(4):
        output = fake_build(tmp_path / f"b{n}", target / "current", f"build {n}")
        outcome = deploying.deploy(output, target, options, now=start + dt.timedelta(minutes=n))
    assert deploying.releases(target) == ["20261123T170302Z", "20261123T170402Z"]
    assert outcome.removed == ["20261123T170202Z"]
    assert served(target) == "build 3"
    deploying.rollback(target, options)
    assert served(target) == "build 2"
    # After a rollback the newest deploy is not current; pruning still keeps what current points at.
    deploying.deploy(fake_build(tmp_path / "b4", target / "current", "build 4"), target,
                     deploying.Options(reload_commands=("true",), keep=1), now=start + dt.timedelta(minutes=9))
    assert deploying.releases(target) == ["20261123T171002Z"]


def test_two_deploys_in_one_second_get_two_directories(tmp_path: Path, target: Path) -> None:
    options = deploying.Options(reload_commands=("true",))
    now = dt.datetime(2026, 11, 23, 17, 1, 2, 500000, tzinfo=dt.timezone.utc)
    for n in range(3):
        deploying.deploy(fake_build(tmp_path / f"b{n}", target / "current", f"build {n}"), target, options, now=now)
    assert deploying.releases(target) == ["20261123T170102Z", "20261123T170102Z-2", "20261123T170102Z-3"]
    # A clock set back still makes the newest deploy the last in order.
    deploying.deploy(fake_build(tmp_path / "b3", target / "current", "build 3"), target, options,
                     now=now - dt.timedelta(hours=1))
    assert deploying.releases(target)[-1] == "20261123T170102Z-4"
    assert served(target) == "build 3"
    deploying.rollback(target, options)
    assert os.readlink(target / "current") == "releases/20261123T170102Z-3"
    deploying.rollback(target, options)
    assert os.readlink(target / "current") == "releases/20261123T170102Z-2"


def test_rollback_walks_back_and_stops_at_the_oldest(tmp_path: Path, target: Path, capsys) -> None:
    for n in range(2):
        assert deploy("--output", fake_build(tmp_path / f"b{n}", target / "current", f"build {n}"),
                      "--target", target, "--reload-command", "true") == 0
    oldest = deploying.releases(target)[0]
    assert deploy("--target", target, "--rollback", "--reload-command", "true") == 0
    assert served(target) == "build 0"
    capsys.readouterr()
    assert deploy("--target", target, "--rollback", "--reload-command", "true") == 1
    assert capsys.readouterr().err == (
        f"extranet deploy: nothing to roll back to: releases/{oldest} is the oldest deploy kept in {target}\n")
    assert served(target) == "build 0"


def test_a_failed_reload_puts_current_back(tmp_path: Path, target: Path, capsys) -> None:
    assert deploy("--output", fake_build(tmp_path / "b0", target / "current", "build 0"), "--target", target,
                  "--reload-command", "true") == 0
    before = os.readlink(target / "current")
    capsys.readouterr()
    assert deploy("--output", fake_build(tmp_path / "b1", target / "current", "build 1"), "--target", target,
                  "--reload-command", "sh -c 'echo nginx is not running >&2; exit 3'") == 1
    assert capsys.readouterr().err == (
        "extranet deploy: reloading sh -c 'echo nginx is not running >&2; exit 3' failed (exit 3), "
        f"so current points back at {before}:\nnginx is not running\n")
    assert os.readlink(target / "current") == before
    assert served(target) == "build 0"


def test_a_build_for_another_deploy_root_is_refused(tmp_path: Path, target: Path, capsys) -> None:
    output = fake_build(tmp_path / "b0", Path("/srv/extranet/current"), "build 0")
    assert deploy("--output", output, "--target", target, "--reload-command", "true") == 1
    assert capsys.readouterr().err == (
        f"extranet deploy: {output} was built for the deploy root /srv/extranet/current, not {target}/current: "
        f"set extranet.server.root in mkdocs.yml to {target}/current and build again\n")
    assert not (target / "current").exists()


def test_a_deploy_that_reloads_nothing_is_a_usage_error(tmp_path: Path, target: Path, capsys) -> None:
    output = fake_build(tmp_path / "b0", target / "current", "build 0")
    assert deploy("--output", output, "--target", target) == 2
    assert capsys.readouterr().err == (
        "extranet deploy: say which server serves the site (--server nginx|apache|caddy) or how to reload it "
        "(--reload-command CMD): the access rules change with each build and apply only after a reload\n")
    assert not target.exists()


def test_current_that_is_a_real_directory_is_left_alone(tmp_path: Path, target: Path, capsys) -> None:
    (target / "current/site").mkdir(parents=True)
    output = fake_build(tmp_path / "b0", target / "current", "build 0")
    assert deploy("--output", output, "--target", target, "--reload-command", "true") == 1
    assert capsys.readouterr().err == (
        f"extranet deploy: {target}/current is not a symlink; move it away (a deploy manages it)\n")
    assert (target / "current").is_dir() and not (target / "current").is_symlink()


# --- extranet deploy --s3 against moto ----------------------------------------------------------
# moto checks neither signatures nor expiry. Neither matters here: what these tests prove is what a
# sync does to a bucket (which objects it uploads, leaves and deletes) and what S3 stores with each
# (bytes, Content-Type, Cache-Control), as seen through the S3 API; not that AWS accepts our requests.

@pytest.fixture
def bucket(moto_endpoint: str, aws_credentials, request) -> tuple[str, object]:
    import boto3

    client = boto3.client("s3", endpoint_url=moto_endpoint, region_name="eu-central-1")
    name = "site-" + request.node.name.replace("_", "-")[:40].lower().rstrip("-")
    client.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-central-1"})
    return name, client


def sync(output: Path, name: str, endpoint: str, *extra: str) -> int:
    return deploy("--s3", name, "--endpoint-url", endpoint, "--region", "eu-central-1", "--output", output, *extra)


def objects(client, name: str) -> dict[str, str]:
    listing = client.list_objects_v2(Bucket=name).get("Contents", [])
    return {item["Key"]: item["ETag"].strip('"') for item in listing}


def test_s3_sync_refuses_a_site_with_private_pages(builds, bucket, moto_endpoint: str, capsys) -> None:
    name, client = bucket
    output = builds[MARKERS[0]]
    assert sync(output, name, moto_endpoint) == 1
    private = [path for path in sorted(p.relative_to(output / "site").as_posix()
                                       for p in (output / "site").rglob("*") if p.is_file())
               if path.startswith(("customers/", "en/customers/", "releases/", "en/releases/", "guides/",
                                   "en/guides/", "upgrade/", "en/upgrade/", "staff/", "en/staff/", "search/",
                                   "en/search/"))]
    assert capsys.readouterr().err == (
        f"extranet deploy: {output}/site has {len(private)} file(s) for customers or staff only (e.g. "
        "customers/alpha/index.html); a bucket serves every object to anyone with its URL, so they would be public. "
        "Deploy with --target behind nginx, Apache or Caddy, or pass --allow-private if something in front of "
        "the bucket enforces the logins\n")
    assert objects(client, name) == {}


def test_s3_sync_uploads_what_changed_and_deletes_what_is_gone(builds, bucket, moto_endpoint: str, tmp_path: Path,
                                                                capsys) -> None:
    import hashlib

    name, client = bucket
    client.put_object(Bucket=name, Key="artifacts/app-1.0.0.tar.gz", Body=b"outside the prefix")
    output = tmp_path / "build"
    shutil.copytree(builds[MARKERS[0]], output)
    files = sorted(p.relative_to(output / "site").as_posix() for p in (output / "site").rglob("*") if p.is_file())
    capsys.readouterr()
    # A real build has customers' pages: --allow-private is the documented way past the refusal.
    args = ("--prefix", "extranet", "--allow-private")

    assert sync(output, name, moto_endpoint, *args) == 0
    first = capsys.readouterr().out.splitlines()
    assert first[0] == f"s3://{name}/extranet: {len(files)} uploaded, 0 deleted, 0 unchanged"
    stored = objects(client, name)
    assert sorted(stored) == sorted(["artifacts/app-1.0.0.tar.gz", *(f"extranet/{path}" for path in files)])
    assert not any(key.startswith("extranet/server/") or "htpasswd" in key for key in stored)
    for path in files:
        assert stored[f"extranet/{path}"] == hashlib.md5((output / "site" / path).read_bytes()).hexdigest()

    assert sync(output, name, moto_endpoint, *args) == 0
    assert capsys.readouterr().out == f"s3://{name}/extranet: 0 uploaded, 0 deleted, {len(files)} unchanged\n"

    page = output / "site/en/support/index.html"
    page.write_text(page.read_text(encoding="utf-8").replace("</body>", "<p>changed</p></body>"), encoding="utf-8")
    (output / "site/sitemap.xml.gz").unlink()
    assert sync(output, name, moto_endpoint, *args) == 0
    assert capsys.readouterr().out == (
        f"s3://{name}/extranet: 1 uploaded, 1 deleted, {len(files) - 2} unchanged\n"
        "  upload extranet/en/support/index.html\n"
        "  delete extranet/sitemap.xml.gz\n")
    assert client.get_object(Bucket=name, Key="extranet/en/support/index.html")["Body"].read() == page.read_bytes()
    assert "extranet/sitemap.xml.gz" not in objects(client, name)
    assert "artifacts/app-1.0.0.tar.gz" in objects(client, name)

    before = objects(client, name)
    (output / "site/404.html").write_text("changed", encoding="utf-8")
    assert sync(output, name, moto_endpoint, *args, "--dry-run") == 0
    assert capsys.readouterr().out == (
        f"s3://{name}/extranet: 1 would be uploaded, 0 would be deleted, {len(files) - 2} unchanged\n"
        "  upload extranet/404.html\n")
    assert objects(client, name) == before

    def stored_headers(path: str) -> tuple[str, str]:
        head = client.head_object(Bucket=name, Key=f"extranet/{path}")
        return head["ContentType"], head["CacheControl"]

    stylesheet = next(path for path in files if path.startswith("assets/stylesheets/main.") and path.endswith(".css"))
    script = next(path for path in files if path.startswith("assets/javascripts/bundle.") and path.endswith(".js"))
    assert stored_headers("index.html") == ("text/html; charset=utf-8", "public, max-age=0, must-revalidate")
    assert stored_headers(stylesheet) == ("text/css; charset=utf-8", "public, max-age=31536000, immutable")
    assert stored_headers(script) == ("text/javascript; charset=utf-8", "public, max-age=31536000, immutable")
    assert stored_headers("search/search_index.json") == ("application/json; charset=utf-8",
                                                          "public, max-age=0, must-revalidate")
    assert stored_headers("sitemap.xml") == ("text/xml; charset=utf-8", "public, max-age=0, must-revalidate")
    assert stored_headers("assets/images/favicon.png") == ("image/png", "public, max-age=86400")


@pytest.mark.servers
def test_the_servers_group_may_read_the_credentials_and_nobody_else(builds, capsys) -> None:
    """Built 0600 for their owner; on the host nginx's workers (www-data) read the htpasswd at each login."""
    import grp
    import stat

    target = builds["target"]
    shutil.rmtree(target, ignore_errors=True)
    assert deploy("--output", builds[MARKERS[0]], "--target", target, "--server", "nginx", "--server", "caddy",
                  "--reload-command", "true") == 0
    for name, group in (("htpasswd", "www-data"), ("caddy/accounts.caddy", "caddy")):
        built = (builds[MARKERS[0]] / "server" / name).stat()
        deployed = (target / "current/server" / name).stat()
        assert stat.S_IMODE(built.st_mode) == 0o600
        if os.getuid() == 0:  # as a deploy on a host runs (and CI)
            assert (stat.S_IMODE(deployed.st_mode), deployed.st_uid, grp.getgrgid(deployed.st_gid).gr_name) == (
                0o640, 0, group)
        else:  # no right to give a file to another group: left as built
            assert stat.S_IMODE(deployed.st_mode) == 0o600
    assert stat.S_IMODE((target / "current/server/nginx/extranet-server.conf").stat().st_mode) == 0o644


def test_options_of_the_other_kind_of_deploy_are_usage_errors(tmp_path: Path, capsys) -> None:
    assert deploy("--s3", "bucket", "--output", tmp_path, "--server", "nginx", "--rollback") == 2
    assert capsys.readouterr().err == "extranet deploy: --rollback, --server: only with --target, not with --s3\n"
    assert deploy("--target", tmp_path / "srv", "--output", tmp_path, "--prefix", "p", "--server", "nginx") == 2
    assert capsys.readouterr().err == "extranet deploy: --prefix: only with --s3, not with --target\n"
    assert not (tmp_path / "srv").exists()


@pytest.mark.servers
def test_the_configuration_check_never_runs_as_root(builds, tmp_path: Path, capsys) -> None:
    """The standalone configuration comes from the build: checked as root, it could load any module."""
    target = builds["target"]
    shutil.rmtree(target, ignore_errors=True)
    secret = tmp_path / "root-only.conf"
    secret.write_text("# readable by its owner only\n")
    secret.chmod(0o600)
    build = tmp_path / "build"
    shutil.copytree(builds[MARKERS[0]], build)
    standalone = build / "server/nginx/standalone.conf"
    standalone.write_text(f"include {secret};\n" + standalone.read_text())

    status = deploy("--output", build, "--target", target, "--server", "nginx", "--reload-command", "true")

    if os.getuid() == 0:  # as a deploy on a host runs (and CI): the check runs as nobody
        assert status == 1
        assert capsys.readouterr().err == (
            "extranet deploy: nginx rejects the new build's configuration, so nothing was switched in:\n"
            f'nginx: [emerg] open() "{secret}" failed (13: Permission denied) in {standalone}:1\n'
            f"nginx: configuration file {standalone} test failed\n")
        assert not (target / "current").exists()
    else:  # the check runs as the deploying user, who owns the file
        assert status == 0
