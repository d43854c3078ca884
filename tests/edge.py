"""The CloudFront target, run here: the built distribution emulated on loopback as a test server.

`start(site, runtime)` runs two processes and returns a `servers.Server` named "cloudfront" that the
access tests use like nginx, Apache and Caddy:

- tests/edge/function_url.py: the login Lambda's function URL, running the REAL built
  `cloudfront/login/index.py` from a package laid out as the deploy zips it (the login directory
  plus `pages/`: the first language's login page and 401 page from the web root);
- tests/edge/cloudfront.mjs: the distribution of the built `cloudfront/template.json`, running the
  REAL built `cloudfront/viewer-request.js` (through tests/edge/load-function.mjs) with the built
  `cloudfront/kvs.json` plus the session secret the deploy would put there, the web root standing in
  for the bucket (under the base's prefix, each object with the Content-Type and Cache-Control the
  deploy's sync stores), and the login behaviours sent to the function URL.

What the emulation cannot show (the real edge runtime, WAF, OAC, caching) is said in those two files.
Rejected: running the function alone against hand-built events (tests/test_cloudfront_function.py
does that for its own rules): only a whole request through the template's behaviours, origins and
error responses shows what a visitor gets, and lets the same matrix run as against the servers.
"""

from __future__ import annotations

import importlib.metadata
import io
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from extranet import servers, syncing
from extranet.cloudfront import login, stack
from extranet.content_types import content_type

from .conftest import REPO
from .servers import SECRET, Server, Site, free_port

NAME = "cloudfront"
"""The emulated CloudFront distribution, as a name beside servers.SERVERS."""
PARAM = pytest.param(NAME, marks=pytest.mark.node)
"""The edge as a test parameter: it runs Node.js."""
TARGETS = (*servers.SERVERS, PARAM)
"""The three servers and the CloudFront target, for the tests whose rules hold on every target."""
EDGE = REPO / "tests/edge"
NODE = shutil.which("node") or "node"


def package(site: Site, directory: Path) -> Path:
    """The login function's package as the deploy zips it (`extranet.cloudfront.login.package`: the
    built code and data, `pages/` from the web root, bcrypt's wheel content), unpacked into `directory`.
    The wheel is made of this environment's installed bcrypt (the deploy downloads the Lambda
    runtime's: its content differs only in the compiled module's platform)."""
    wheels = directory.parent / "wheels"
    wheels.mkdir(parents=True, exist_ok=True)
    distribution = importlib.metadata.distribution("bcrypt")
    with zipfile.ZipFile(wheels / f"bcrypt-{distribution.version}-py3-none-any.whl", "w") as wheel:
        for file in distribution.files or []:
            if str(file).startswith("bcrypt/") and not str(file).endswith(".pyc"):
                wheel.write(Path(str(distribution.locate_file(file))), str(file))
    zipfile.ZipFile(io.BytesIO(login.package(site.output / "server", site.web_root, wheels))).extractall(directory)
    return directory


def objects(site: Site, prefix: str) -> dict[str, dict[str, str]]:
    """Each object of the bucket, by key: the headers the deploy's sync stores with it."""
    return {prefix + path: {"content-type": content_type(path, charset="utf-8"),
                            "cache-control": syncing.cache_control(path, tuple(stack.ERROR_PAGES.values()))} for path in site.files()}


def target(request: pytest.FixtureRequest, site: Site, running: dict[str, Server], name: str) -> Server:
    """The server `name` serving `site`: one of `running`, or the CloudFront edge of the same site
    (the `edge` or `edge_root` fixture, started once)."""
    if name != NAME:
        return running[name]
    return request.getfixturevalue("edge_root" if site.base == "/" else "edge")


class Processes:
    """The function URL and the distribution, stopped and polled as one server process."""

    def __init__(self, *processes: subprocess.Popen) -> None:
        self.processes = processes

    def poll(self) -> int | None:
        codes = [process.poll() for process in self.processes]
        return next((code for code in codes if code is not None), None)

    def terminate(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.terminate()

    def kill(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.kill()

    def wait(self, timeout: float | None = None) -> None:
        for process in self.processes:
            process.wait(timeout=timeout)


def start(site: Site, runtime: Path, waf: bool = False) -> Server:
    """The built CloudFront target of `site`, emulated: started on free loopback ports, once both
    processes answer. `waf`: with the web ACL's login rate limit (off for the tests that log in
    often from one address)."""
    built = site.output / "server/cloudfront"
    prefix = site.base.lstrip("/")
    (runtime / "objects.json").write_text(json.dumps(objects(site, prefix), indent=1, sort_keys=True))
    return launch(runtime, built / "template.json", built / "viewer-request.js", built / "kvs.json", site.web_root,
                  prefix, runtime / "objects.json", package(site, runtime / "package"), SECRET, site.base, waf)


def launch(runtime: Path, template: Path, function: Path, kvs: Path, web_root: Path, prefix: str, metadata: Path,
           package: Path, secret: str, base: str = "/", waf: bool = False) -> Server:
    """Start the function URL (serving the login function in `package`) and the distribution of
    `template` (the bucket: `web_root` under the key prefix `prefix`) and wait until both answer."""
    (runtime / "secret").write_text(secret)
    (runtime / "secret").chmod(0o600)
    login_port, port = free_port(), free_port()
    log = open(runtime / "server.log", "wb")  # noqa: SIM115 (lives as long as the server)
    environment = {**os.environ, "EXTRANET_SESSION_SECRET": secret}
    environment.pop("EXTRANET_SECRET_ARN", None)
    function_url = subprocess.Popen(
        [sys.executable, str(EDGE / "function_url.py"), "--package", str(package), "--port", str(login_port)],
        stdout=log, stderr=subprocess.STDOUT, env=environment)
    distribution = subprocess.Popen(
        [NODE, str(EDGE / "cloudfront.mjs"), "--template", str(template), "--function", str(function),
         "--kvs", str(kvs), "--secret-file", str(runtime / "secret"), "--site", str(web_root), "--prefix", prefix,
         "--metadata", str(metadata), "--login-url", f"http://127.0.0.1:{login_port}", "--port", str(port),
         "--waf", "on" if waf else "off"],
        stdout=log, stderr=subprocess.STDOUT)
    server = Server(NAME, port, Processes(function_url, distribution), runtime, base)  # type: ignore[arg-type]
    deadline = time.monotonic() + 20
    while True:
        try:
            socket.create_connection(("127.0.0.1", login_port), timeout=1).close()
            server.request("/")
            return server
        except OSError:
            if server.process.poll() is not None or time.monotonic() > deadline:
                server.process.terminate()
                raise RuntimeError(f"{NAME} did not start:\n" + (runtime / "server.log").read_text(errors="replace"))
            time.sleep(0.1)
