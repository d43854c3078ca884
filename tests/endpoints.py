"""S3 endpoints for the tests, each started once per run, and what each of them does not check.

- moto in server mode (`moto_server`, from PyPI's moto[server]) stores objects faithfully but checks
  neither presigned signatures nor expiry: use it for what gets uploaded, listed and deleted.
- s3rver (npm) refuses a presigned URL past its expiry ("Request has expired") but does not verify
  V4 signatures: use it for expiry only. Signature correctness is shown offline in test_links.py.

A missing endpoint program fails the test with the command that installs it; nothing is skipped.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "eu-central-1"}
"""Throwaway credentials: test endpoints accept any."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait(url: str, process: subprocess.Popen, name: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with status {process.returncode} before answering on {url}")
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except urllib.error.HTTPError:
            return  # it answers, even if not with 200
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{name} did not answer on {url} within {timeout:.0f} s")


@contextlib.contextmanager
def _running(command: list[str], url: str, probe: str, log: Path, name: str) -> Iterator[str]:
    """Run an endpoint program, its output in `log`, until the block ends; yields `url` once `probe` answers."""
    with log.open("wb") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
    try:
        _wait(probe, process, name)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


@contextlib.contextmanager
def moto(log: Path) -> Iterator[str]:
    """moto in server mode on a free loopback port; yields its endpoint URL."""
    program = shutil.which("moto_server", path=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    if program is None:
        raise RuntimeError("moto_server is not installed: pip install 'moto[server]' (make test does)")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with _running([program, "-H", "127.0.0.1", "-p", str(port)], url, f"{url}/moto-api/", log, "moto_server"):
        yield url


S3RVER_VERSION = "3.7.1"
"""Pinned in tests/s3rver/package.json and its lock file; `make test` installs it into .venv/node."""
S3RVER_BUCKET = "extranet-test"
S3RVER_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "S3RVER", "AWS_SECRET_ACCESS_KEY": "S3RVER",
                      "AWS_DEFAULT_REGION": "eu-central-1"}
"""s3rver knows one access key id, S3RVER (it refuses others as InvalidAccessKeyId) and checks no V4
signature, so the secret matters to nobody."""


def s3rver_program() -> str:
    """s3rver from the running venv's `node/` (where `make test` puts it), the repository's .venv, or PATH."""
    here = Path(__file__).resolve().parent.parent
    places = [Path(sys.executable).parent.parent / "node/node_modules/.bin", here / ".venv/node/node_modules/.bin"]
    program = shutil.which("s3rver", path=os.pathsep.join([*map(str, places), os.environ.get("PATH", "")]))
    if program is None:
        raise RuntimeError(f"s3rver is not installed: `make test` installs it (npm ci --prefix .venv/node with "
                           f"tests/s3rver/package*.json), or `npm install --prefix {places[0].parent.parent} "
                           f"s3rver@{S3RVER_VERSION}`")
    return program


@contextlib.contextmanager
def s3rver(directory: Path, log: Path) -> Iterator[str]:
    """s3rver on a free loopback port with the bucket S3RVER_BUCKET; yields its endpoint URL.

    Buckets are addressed by path (`--no-vhost-buckets`; S3Storage's addressing_style "path")."""
    program = s3rver_program()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [program, "--directory", str(directory), "--address", "127.0.0.1", "--port", str(port),
               "--no-vhost-buckets", "--configure-bucket", S3RVER_BUCKET]
    with _running(command, url, f"{url}/", log, "s3rver"):
        yield url
