"""Login under load: authenticated against public requests/s on each real server, measured with wrk.

Both sides fetch a page of about the same size (the public support terms and the release timeline
for customers, ~21 KB each), so the ratio shows what authentication costs, not what bytes cost.
The two are measured alternately, best of two rounds each, in the same run.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from extranet import servers

from .servers import Visitor, build_variant, start, stop, visitors

PUBLIC_URL = "/support/"
AUTH_URL = "/releases/timeline/"
DURATION = "5s"


def wrk(url: str, headers: dict[str, str]) -> float:
    command = ["wrk", "-t2", "-c20", f"-d{DURATION}", "--latency"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    output = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    if "Non-2xx or 3xx responses" in output:
        raise RuntimeError(f"wrk got error responses from {url}:\n{output}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))


def measure(rounds: int = 2) -> dict[str, dict[str, float | str]]:
    if shutil.which("wrk") is None:
        raise RuntimeError("wrk is not installed (apt-get install wrk)")
    results: dict[str, dict[str, float | str]] = {}
    with tempfile.TemporaryDirectory(prefix="extranet-bench-auth-") as directory:
        site = build_variant(Path(directory))
        customer: Visitor = next(v for v in visitors() if v.customer == "elbe-precision")
        for name in servers.SERVERS:
            server = start(name, site, Path(directory) / name)
            try:
                base = f"http://127.0.0.1:{server.port}{server.base.rstrip('/')}"  # the site's path (site_url)
                headers = server.credentials(customer)
                assert headers, f"{name}: the demo customer could not log in"
                assert server.request(AUTH_URL, headers, source=customer.address)[0] == 200
                public, auth = [], []
                for _ in range(rounds):
                    public.append(wrk(base + PUBLIC_URL, {}))
                    auth.append(wrk(base + AUTH_URL, headers))
                results[name] = {
                    "auth_rps": round(max(auth), 1), "public_rps": round(max(public), 1),
                    "ratio": round(max(auth) / max(public), 3),
                    "auth_url": AUTH_URL, "public_url": PUBLIC_URL,
                    "auth_bytes": (site.web_root / AUTH_URL.strip("/") / "index.html").stat().st_size,
                    "public_bytes": (site.web_root / PUBLIC_URL.strip("/") / "index.html").stat().st_size,
                }
            finally:
                stop(server)
    return results
