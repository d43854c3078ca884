"""A Lambda function URL on loopback, for tests only: the REAL built login function answers.

    python function_url.py --package DIR --port P      (env EXTRANET_SESSION_SECRET: the session secret)

DIR is the function's package as the deploy zips it (`index.py`, `settings.json`, `accounts.json`,
`pages/`); `index.handler` is imported from it by path, once, as Lambda imports it once per cold start.
Each HTTP request (CloudFront's origin request, from tests/edge/cloudfront.mjs) becomes a Lambda
function URL event in payload format 2.0 ("Lambda function URL request and response payloads"):
`rawPath`, `rawQueryString`, `queryStringParameters` (decoded, repeated names joined by commas),
`headers` (lowercase names, repeated ones joined by commas, without `cookie`), `cookies` (a list),
`requestContext.http` (method, path, protocol, sourceIp, userAgent), `body` (base64 when it is not
UTF-8 text), `isBase64Encoded`. The handler's answer `{statusCode, headers, cookies, body,
isBase64Encoded}` is written back, each cookie as a `Set-Cookie` line; an answer without
`statusCode` is sent as Lambda sends it, 200 with the value as JSON.

Not emulated: IAM auth (OAC's signature is not checked), Lambda's limits (payload sizes, timeout,
memory, concurrency), the real Python runtime's package set (the package and this process's
environment provide bcrypt and boto3), the secret read from Secrets Manager (the environment gives it,
as the login function's local mode does). Nothing here logs a header, a cookie or a body.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import importlib.util
import json
import sys
import time
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


def load_handler(package: Path) -> Any:
    spec = importlib.util.spec_from_file_location("extranet_login_function", package / "index.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(package))  # the package's own modules (bcrypt's wheel content) come first, as on Lambda
    spec.loader.exec_module(module)
    return module.handler


def event(method: str, target: str, headers: list[tuple[str, str]], body: bytes, source: str) -> dict[str, Any]:
    path, _, query = target.partition("?")
    joined: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in headers:
        name = name.lower()
        if name == "cookie":
            cookies += [part.strip() for part in value.split(";") if part.strip()]
            continue
        joined[name] = f"{joined[name]},{value}" if name in joined else value
    parameters: dict[str, str] = {}
    for name, value in urllib.parse.parse_qsl(query, keep_blank_values=True):
        parameters[name] = f"{parameters[name]},{value}" if name in parameters else value
    now = time.time()
    result: dict[str, Any] = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": query,
        "headers": joined,
        "requestContext": {
            "accountId": "anonymous",
            "apiId": "emulatorurlid",
            "domainName": "emulatorurlid.lambda-url.us-east-1.on.aws",
            "domainPrefix": "emulatorurlid",
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": source,
                     "userAgent": joined.get("user-agent", "")},
            "requestId": str(uuid.uuid4()),
            "routeKey": "$default",
            "stage": "$default",
            "time": dt.datetime.fromtimestamp(now, dt.timezone.utc).strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "timeEpoch": int(now * 1000),
        },
        "isBase64Encoded": False,
    }
    if cookies:
        result["cookies"] = cookies
    if parameters:
        result["queryStringParameters"] = parameters
    if body:
        try:
            result["body"] = body.decode("utf-8")
        except UnicodeDecodeError:
            result["body"], result["isBase64Encoded"] = base64.b64encode(body).decode(), True
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--package", type=Path, required=True)
    parser.add_argument("--port", type=int, required=True)
    arguments = parser.parse_args()
    handler = load_handler(arguments.package)

    class FunctionUrl(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def answer(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length) if length else b""
            request = event(self.command, self.path, list(self.headers.items()), body, self.client_address[0])
            try:
                response = handler(request, None)
            except Exception as error:  # noqa: BLE001 (Lambda answers 502 for a function error)
                print(f"function error: {type(error).__name__}", file=sys.stderr, flush=True)
                response = {"statusCode": 502, "headers": {"content-type": "text/plain"}, "body": "function error\n"}
            if not isinstance(response, dict) or "statusCode" not in response:
                response = {"statusCode": 200, "headers": {"content-type": "application/json"},
                            "body": json.dumps(response)}
            data = response.get("body") or ""
            payload = base64.b64decode(data) if response.get("isBase64Encoded") else str(data).encode()
            self.send_response_only(int(response["statusCode"]))
            for name, value in (response.get("headers") or {}).items():
                self.send_header(name, str(value))
            for cookie in response.get("cookies") or []:
                self.send_header("Set-Cookie", cookie)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)

        do_GET = do_POST = do_HEAD = do_PUT = do_DELETE = do_OPTIONS = do_PATCH = answer

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (the base class names it so)
            pass  # a request line may carry a `next` query; nothing of a request is logged

    server = ThreadingHTTPServer(("127.0.0.1", arguments.port), FunctionUrl)
    print(f"function URL on 127.0.0.1:{arguments.port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
