"""`extranet deploy --cloudfront STACK`: the decisions as exact tables, the order of the AWS calls with
recording fakes, and the upload of a built web root to a bucket in moto.

What this shows and what it does not: moto (server mode) stores objects faithfully, so the bucket's
keys and bytes after each deploy are what S3 would hold; it checks no signature, and nothing here
reaches CloudFormation, Lambda, Secrets Manager, the KeyValueStore or CloudFront. For those the fakes
record each call with its arguments and answer as the API reference documents (ETag per UpdateKeys,
"No updates are to be performed", a stack's status and events); that AWS accepts these requests is
shown only by a deploy to a real account (README, "To CloudFront").
"""

from __future__ import annotations

import datetime as dt
import io
import json
import shutil
import zipfile
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from extranet import cli
from extranet.building import build
from extranet.cloudfront import deploy, login
from extranet.cloudfront.deploy import Batch, KvsPlan

from .conftest import NOW_DT, Project

BASE = "/extranet/"
SECRET = "S" * 64
ZIP = b"the login function's zip"
START = 1_790_000_000.0


# --- decisions --------------------------------------------------------------------------------------

@pytest.mark.parametrize(("new", "old", "wider"), [
    ("public", "customers", True),
    ("public", "public", False),
    ("customers", "public", False),
    ("customers", "customer:alpha", True),
    ("customers", "staff", True),
    ("customer:alpha", "customers", False),
    ("customer:alpha", "customer:beta", True),
    ("customer:alpha", "staff", True),
    ("staff", "customer:alpha", False),
    ("staff", "public", False),
    ("staff", "nonsense", True),        # an unknown value admits nobody (the function refuses)
    ("nonsense", "staff", False),
    ("customer:", "staff", False),      # no customer id: admits nobody
])
def test_a_rule_widens_when_it_admits_someone_the_old_one_did_not(new: str, old: str, wider: bool) -> None:
    assert deploy.widens(new, old) is wider


STORED = {
    "secret": "old secret",
    "@a.novak": "alpha",
    "@gone.user": "beta",            # removed from customers.yaml
    "@moved.user": "alpha",          # moved to beta
    "^": "customers",
    "^customers/gamma/": "customer:gamma",   # customer deleted
    "^guides/": "staff",             # now for every customer: wider
    "^releases/": "customers",       # now alpha's only: narrower
    "=news.html": "customers",       # now public: wider
    "vendor-flag": "on",             # not ours: left alone
}
BUILT = {
    "@a.novak": "alpha",
    "@moved.user": "beta",
    "@new.user": "alpha",
    "^": "customers",
    "^customers/delta/": "customer:delta",
    "^guides/": "customers",
    "^releases/": "customer:alpha",
    "=news.html": "public",
}


@pytest.mark.parametrize(("built", "stored", "plan"), [
    # the first deploy: everything before the pages, the secret last
    ({"^": "customers", "@a": "alpha"}, {}, KvsPlan(
        Batch((("@a", "alpha"), ("^", "customers"), ("secret", SECRET))), Batch())),
    # nothing changed
    ({"^": "customers"}, {"^": "customers", "secret": SECRET}, KvsPlan(Batch(), Batch())),
    # a new secret (rotated in Secrets Manager) alone
    ({"^": "customers"}, {"^": "customers", "secret": "old"}, KvsPlan(Batch((("secret", SECRET),)), Batch())),
    # kvs.json never sets the secret
    ({"secret": "from a file", "^": "customers"}, {"^": "customers", "secret": SECRET}, KvsPlan(Batch(), Batch())),
    # the whole table
    (BUILT, STORED, KvsPlan(
        before=Batch(
            puts=(("@moved.user", "beta"), ("@new.user", "alpha"), ("^customers/delta/", "customer:delta"),
                  ("^releases/", "customer:alpha"), ("secret", SECRET)),
            deletes=("@gone.user",)),
        after=Batch(
            puts=(("=news.html", "public"), ("^guides/", "customers")),
            deletes=("^customers/gamma/",)))),
])
def test_the_kvs_plan_puts_narrowing_first_and_widening_after_the_pages(built, stored, plan) -> None:
    assert deploy.kvs_plan(built, stored, SECRET) == plan


def test_kvs_updates_go_in_batches_of_50_keys_deletions_first() -> None:
    batch = Batch(tuple((f"@u{n:03}", "alpha") for n in range(70)), tuple(f"@d{n:03}" for n in range(40)))
    parts = deploy.batches(batch)
    assert [(len(part.deletes), len(part.puts)) for part in parts] == [(40, 10), (0, 50), (0, 10)]
    assert [key for part in parts for key in part.deletes] == list(batch.deletes)
    assert [item for part in parts for item in part.puts] == list(batch.puts)
    assert deploy.batches(Batch()) == []


@pytest.mark.parametrize(("changed", "base", "limit", "paths"), [
    ([], "/", 3000, []),
    (["index.html"], "/", 3000, ["/", "/index.html"]),
    (["index.html"], BASE, 3000, ["/extranet/", "/extranet/index.html"]),
    (["en/support/index.html", "assets/app.css", "sitemap.xml.gz"], BASE, 3000,
     ["/extranet/assets/app.css", "/extranet/en/support/", "/extranet/en/support/index.html",
      "/extranet/sitemap.xml.gz"]),
    (["notindex.html", "a/index.htm"], "/", 3000, ["/a/index.htm", "/notindex.html"]),
    (["cs/návody/index.html", "a b/x*.txt"], "/", 3000,
     ["/a%20b/x%2A.txt", "/cs/n%C3%A1vody/", "/cs/n%C3%A1vody/index.html"]),
    ([f"p{n}.css" for n in range(3)], BASE, 3, ["/extranet/p0.css", "/extranet/p1.css", "/extranet/p2.css"]),
    ([f"p{n}.css" for n in range(4)], BASE, 3, ["/extranet/*"]),
    (["index.html", "a.css"], "/", 2, ["/*"]),  # index.html counts twice
])
def test_invalidation_paths(changed: list[str], base: str, limit: int, paths: list[str]) -> None:
    assert deploy.invalidation_paths(changed, base, limit) == paths


def test_the_documented_limits() -> None:
    assert (deploy.KVS_BATCH, deploy.INVALIDATION_PATHS, deploy.TEMPLATE_BODY, deploy.REGION) == (
        50, 3000, 51200, "us-east-1")


# --- recording fakes --------------------------------------------------------------------------------

Log = list[tuple[str, str, dict[str, Any]]]


SERVICES = {"cloudformation": "cloudformation", "lambda": "lambda", "secretsmanager": "secretsmanager",
            "kvs": "cloudfront-keyvaluestore", "cloudfront": "cloudfront", "s3": "s3"}


class Fake:
    """A client of one AWS service: records each call; answers from `answers[operation]`, a list
    consumed in order (its last item repeats) whose items are values, exceptions or callables.

    Each call's arguments are first validated against the service's API model, as botocore does before
    sending (names, types, required members): a misspelt parameter fails here, not in a real deploy."""

    def __init__(self, service: str, log: Log, **answers: Any):
        import boto3

        self.service, self.log, self.answers = service, log, answers
        self.model = boto3.client(SERVICES[service], region_name="us-east-1").meta

    def __getattr__(self, operation: str) -> Any:
        from botocore.validate import validate_parameters

        def call(**arguments: Any) -> Any:
            api = self.model.method_to_api_mapping[operation]
            validate_parameters(arguments, self.model.service_model.operation_model(api).input_shape)
            self.log.append((self.service, operation, arguments))
            queue = self.answers[operation]
            answer = queue.pop(0) if len(queue) > 1 else queue[0]
            if isinstance(answer, Exception):
                raise answer
            return answer(arguments) if callable(answer) else answer

        return call

    def get_paginator(self, operation: str) -> Any:
        fake = self

        class Paginator:
            def paginate(self, **arguments: Any) -> Any:
                return [getattr(fake, operation)(**arguments)]

        return Paginator()


class RecordingS3:
    """A real S3 client (moto) whose writes are also logged, in order with the other services' calls."""

    def __init__(self, client: Any, log: Log):
        self.client, self.log = client, log

    def put_object(self, **arguments: Any) -> Any:
        self.log.append(("s3", "put_object", {"Key": arguments["Key"]}))
        return self.client.put_object(**arguments)

    def delete_objects(self, **arguments: Any) -> Any:
        self.log.append(("s3", "delete_objects", {"Keys": [item["Key"] for item in arguments["Delete"]["Objects"]]}))
        return self.client.delete_objects(**arguments)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)


def client_error(operation: str, code: str, message: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message}}, operation)


def outputs(bucket: str, **override: str) -> list[dict[str, str]]:
    values = {
        "BucketName": bucket,
        "DistributionId": "E2EXAMPLE",
        "DistributionDomainName": "d111111abcdef8.cloudfront.net",
        "KeyValueStoreArn": "arn:aws:cloudfront::123456789012:key-value-store/kvs-1",
        "LoginFunctionName": "extranet-Login-1",
        "SessionSecretArn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:session-1",
        **override,
    }
    return [{"OutputKey": key, "OutputValue": value} for key, value in values.items() if value]


class Account:
    """The fakes of one deploy's AWS services and the log of their calls."""

    def __init__(self, s3: Any, *, stack: list[Any], lambda_sha: str = "placeholder",
                 stored: dict[str, str] | None = None):
        self.log: Log = []
        self.etags = 0

        def update_keys(arguments: dict[str, Any]) -> dict[str, Any]:
            self.etags += 1
            return {"ETag": f"ETAG{self.etags + 1}", "ItemCount": 0, "TotalSizeInBytes": 0}

        stored = stored or {}
        self.clients = deploy.Clients(
            cloudformation=Fake("cloudformation", self.log, describe_stacks=stack, create_stack=[{"StackId": "id"}],
                                update_stack=[{"StackId": "id"}], describe_stack_events=[{"StackEvents": []}]),
            lambda_=Fake("lambda", self.log, get_function_configuration=[
                {"CodeSha256": lambda_sha}, {"LastUpdateStatus": "InProgress"}, {"LastUpdateStatus": "Successful"}],
                update_function_code=[{}]),
            secretsmanager=Fake("secretsmanager", self.log, get_secret_value=[{"SecretString": SECRET}]),
            kvs=Fake("kvs", self.log, list_keys=[{"Items": [{"Key": k, "Value": v} for k, v in stored.items()]}],
                     describe_key_value_store=[{"ETag": "ETAG1"}], update_keys=[update_keys]),
            cloudfront=Fake("cloudfront", self.log, create_invalidation=[{"Invalidation": {"Id": "I2EXAMPLE"}}]),
            s3=RecordingS3(s3, self.log),
        )
        self.said: list[str] = []
        self.slept: list[float] = []

    def deploy(self, output: Path, stack: str = "extranet-prod", package: deploy.Packager = lambda server, site: ZIP
               ) -> deploy.Outcome:
        return deploy.deploy(output, stack, clients=self.clients, package=package,
                             say=self.said.append, sleep=self.slept.append, clock=lambda: START)

    def steps(self) -> list[tuple[str, str, int]]:
        """The log with consecutive calls of one operation collapsed: (service, operation, times)."""
        steps: list[tuple[str, str, int]] = []
        for service, operation, _ in self.log:
            if steps and steps[-1][:2] == (service, operation):
                steps[-1] = (service, operation, steps[-1][2] + 1)
            else:
                steps.append((service, operation, 1))
        return steps

    def arguments(self, service: str, operation: str) -> list[dict[str, Any]]:
        return [arguments for s, o, arguments in self.log if (s, o) == (service, operation)]


# --- a built web root --------------------------------------------------------------------------------

KVS = {"^": "customers", "^customers/alpha/": "customer:alpha", "@a.novak": "alpha", "=index.html": "public"}
TEMPLATE = """{
  "Parameters": {"AliasDomain": {"Default": "", "Type": "String"}, "PriceClass": {"Type": "String"}},
  "Resources": {"Bucket": {"Type": "AWS::S3::Bucket", "Properties": {"Tags": [{"Key": "k", "Value": "é"}]}}}
}
"""
SENT = ('{"Parameters":{"AliasDomain":{"Default":"","Type":"String"},"PriceClass":{"Type":"String"}},'
        '"Resources":{"Bucket":{"Properties":{"Tags":[{"Key":"k","Value":"é"}]},"Type":"AWS::S3::Bucket"}}}')
"""The template as the deploy sends it: the same JSON without indentation."""


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A build of the test project served under /extranet/, with this test's own template and store data
    (the CloudFront target's files are other modules' work; the deploy only carries them)."""
    base = tmp_path_factory.mktemp("cloudfront-deploy")
    project = Project(base / "project")
    project.replace("mkdocs.yml", "site_name: Test extranet\n",
                    "site_name: Test extranet\nsite_url: https://extranet.example.com/extranet/\n")
    output = build(project.config, now=NOW_DT, output=base / "build")
    target = output / "server/cloudfront"
    shutil.copy(target / "kvs.json", base / "kvs.built.json")  # the edge module's, for the contract test
    (target / "template.json").write_text(TEMPLATE, encoding="utf-8")
    (target / "kvs.json").write_text(json.dumps({"data": [{"key": k, "value": v} for k, v in sorted(KVS.items())]}),
                                     encoding="utf-8")
    wheels = base / "wheels"
    wheels.mkdir()
    with zipfile.ZipFile(wheels / "bcrypt-4.2.0-cp39-abi3-manylinux_2_28_x86_64.whl", "w") as wheel:
        wheel.writestr("bcrypt/__init__.py", "# a stand-in: this test never runs the function\n")
    return output


def packager(output: Path) -> deploy.Packager:
    """The login function's real package (`login.package`), with a stand-in for bcrypt's wheel (no pip here)."""
    return lambda server, site: login.package(server, site, output.parent / "wheels")


def files(output: Path) -> list[str]:
    site = output / "site"
    return sorted(path.relative_to(site).as_posix() for path in site.rglob("*") if path.is_file())


@pytest.fixture
def bucket(moto_endpoint: str, aws_credentials, request) -> tuple[str, Any]:
    import boto3

    client = boto3.client("s3", endpoint_url=moto_endpoint, region_name="us-east-1")
    name = "cf-" + request.node.name.replace("_", "-")[:40].lower().rstrip("-")
    client.create_bucket(Bucket=name)
    return name, client


def stored_objects(client: Any, name: str) -> dict[str, bytes]:
    keys = [item["Key"] for page in client.get_paginator("list_objects_v2").paginate(Bucket=name)
            for item in page.get("Contents", [])]
    return {key: client.get_object(Bucket=name, Key=key)["Body"].read() for key in keys}


COMPLETE = {"StackStatus": "CREATE_COMPLETE"}


def test_the_builds_store_data_is_what_the_plan_puts(built: Path) -> None:
    """The contract with `function.files`: kvs.json holds rules and users only (never the secret), so a
    first deploy puts every one of its keys before the pages, and the next deploy nothing."""
    data = json.loads((built.parent / "kvs.built.json").read_text(encoding="utf-8"))["data"]
    pairs = {item["key"]: item["value"] for item in data}
    assert [item["key"] for item in data] == sorted(pairs)
    assert {key[0] for key in pairs} == {"=", "^", "@"}
    assert {key: value for key, value in pairs.items() if key.startswith("@")} == {
        "@alpha.one": "alpha", "@beta.one": "beta", "@staff.one": "*"}
    plan = deploy.kvs_plan(pairs, {}, SECRET)
    assert plan == KvsPlan(Batch((*sorted(pairs.items()), ("secret", SECRET))), Batch())
    assert deploy.kvs_plan(pairs, {**pairs, "secret": SECRET}, SECRET) == KvsPlan(Batch(), Batch())


def test_three_deploys_create_then_change_nothing_then_one_page(built: Path, bucket, tmp_path: Path) -> None:
    name, s3 = bucket
    s3.put_object(Bucket=name, Key="artifacts/app-1.0.0.tar.gz", Body=b"outside the prefix")
    output = tmp_path / "build"
    shutil.copytree(built, output)
    site = files(output)

    # 1. A new stack: created and waited for, the login code uploaded, the store filled, every file uploaded.
    first = Account(s3, stack=[
        client_error("DescribeStacks", "ValidationError", "Stack with id extranet-prod does not exist"),
        {"Stacks": [{"StackStatus": "CREATE_IN_PROGRESS"}]},
        {"Stacks": [{"StackStatus": "CREATE_IN_PROGRESS"}]},
        {"Stacks": [{**COMPLETE, "Outputs": outputs(name)}]}])
    package = packager(built)
    zipped = package(output / "server", output / "site")
    outcome = first.deploy(output, package=package)

    assert first.steps() == [
        ("cloudformation", "describe_stacks", 1), ("cloudformation", "create_stack", 1),
        ("cloudformation", "describe_stacks", 4),  # in progress twice, complete, then the outputs
        ("lambda", "get_function_configuration", 1), ("lambda", "update_function_code", 1),
        ("lambda", "get_function_configuration", 3),
        ("secretsmanager", "get_secret_value", 1),
        ("kvs", "list_keys", 1), ("kvs", "describe_key_value_store", 1), ("kvs", "update_keys", 1),
        ("s3", "put_object", len(site)),
        ("cloudfront", "create_invalidation", 1),
    ]
    assert first.arguments("cloudformation", "create_stack") == [{
        "StackName": "extranet-prod", "TemplateBody": SENT, "Capabilities": ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"],
        "OnFailure": "ROLLBACK"}]
    assert first.slept == [deploy.STACK_POLL, deploy.STACK_POLL, 1]
    assert first.arguments("lambda", "update_function_code") == [{"FunctionName": "extranet-Login-1", "ZipFile": zipped}]
    with zipfile.ZipFile(io.BytesIO(zipped)) as archive:
        assert archive.read("accounts.json") == (output / "server/cloudfront/login/accounts.json").read_bytes()
        assert archive.read("pages/login/index.html") == (output / "site/login/index.html").read_bytes()
    assert first.arguments("secretsmanager", "get_secret_value") == [
        {"SecretId": "arn:aws:secretsmanager:us-east-1:123456789012:secret:session-1"}]
    assert first.arguments("kvs", "update_keys") == [{
        "KvsARN": "arn:aws:cloudfront::123456789012:key-value-store/kvs-1", "IfMatch": "ETAG1",
        "Puts": [{"Key": "=index.html", "Value": "public"}, {"Key": "@a.novak", "Value": "alpha"},
                 {"Key": "^", "Value": "customers"}, {"Key": "^customers/alpha/", "Value": "customer:alpha"},
                 {"Key": "secret", "Value": SECRET}],
        "Deletes": []}]
    uploads = [arguments["Key"] for arguments in first.arguments("s3", "put_object")]
    pages = [key for key in uploads if key.endswith(".html")]
    assert uploads[-len(pages):] == pages, "assets before pages"
    assert sorted(uploads) == [f"extranet/{path}" for path in site]
    assert stored_objects(s3, name) == {"artifacts/app-1.0.0.tar.gz": b"outside the prefix",
                                        **{f"extranet/{path}": (output / "site" / path).read_bytes() for path in site}}
    invalidated = first.arguments("cloudfront", "create_invalidation")[0]
    assert invalidated["DistributionId"] == "E2EXAMPLE"
    assert invalidated["InvalidationBatch"]["CallerReference"] == f"extranet-{START:.6f}"
    assert invalidated["InvalidationBatch"]["Paths"] == {"Quantity": len(outcome.invalidated),
                                                         "Items": outcome.invalidated}
    assert "/extranet/" in outcome.invalidated and "/extranet/index.html" in outcome.invalidated
    assert len(outcome.invalidated) == len(site) + sum(path.endswith("index.html") for path in site)
    assert first.said == [
        "stack extranet-prod: creating, waiting (a new distribution takes minutes)",
        "stack extranet-prod: created (distribution d111111abcdef8.cloudfront.net)",
        "login function extranet-Login-1: code updated",
        "key value store: 5 put, 0 deleted (removed users), before the pages",
        f"s3://{name}/extranet/: {len(site)} uploaded, 0 deleted, 0 unchanged",
        "key value store: 0 put (wider audiences), 0 deleted (rules no longer built), after the pages",
        f"invalidation I2EXAMPLE: {len(outcome.invalidated)} path(s)",
        deploy.PROPAGATION,
    ]

    # 2. The same build again: no stack update, no code, no key, no object, no invalidation.
    stored = {**KVS, "secret": SECRET}
    second = Account(s3, lambda_sha=login.code_sha256(zipped), stored=stored, stack=[
        {"Stacks": [{**COMPLETE, "Parameters": [{"ParameterKey": "AliasDomain", "ParameterValue": "x.example"},
                                                {"ParameterKey": "Dropped", "ParameterValue": "y"}]}]},
        {"Stacks": [{**COMPLETE, "Outputs": outputs(name)}]}])
    second.clients.cloudformation.answers["update_stack"] = [
        client_error("UpdateStack", "ValidationError", "No updates are to be performed.")]
    second.deploy(output, package=package)
    assert second.steps() == [
        ("cloudformation", "describe_stacks", 1), ("cloudformation", "update_stack", 1),
        ("cloudformation", "describe_stacks", 1),
        ("lambda", "get_function_configuration", 1),
        ("secretsmanager", "get_secret_value", 1),
        ("kvs", "list_keys", 1),
    ]
    assert second.arguments("cloudformation", "update_stack") == [{
        "StackName": "extranet-prod", "TemplateBody": SENT, "Capabilities": ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"],
        "Parameters": [{"ParameterKey": "AliasDomain", "UsePreviousValue": True}]}]
    assert second.said == [
        "stack extranet-prod: unchanged (distribution d111111abcdef8.cloudfront.net)",
        "login function extranet-Login-1: code unchanged",
        "key value store: 0 put, 0 deleted (removed users), before the pages",
        f"s3://{name}/extranet/: 0 uploaded, 0 deleted, {len(site)} unchanged",
        "key value store: 0 put (wider audiences), 0 deleted (rules no longer built), after the pages",
        "invalidation: none needed",
        deploy.PROPAGATION,
    ]

    # 3. One page changed, one deleted, a customer gone: the deletions after the upload, the rule last.
    page = output / "site/en/support/index.html"
    page.write_text(page.read_text(encoding="utf-8").replace("</body>", "<p>changed</p></body>"), encoding="utf-8")
    (output / "site/en/index.html").unlink()
    third = Account(s3, lambda_sha=login.code_sha256(zipped), stored={**stored, "^customers/gone/": "customer:gone",
                                                          "@gone.user": "gone"}, stack=[
        {"Stacks": [COMPLETE]}, {"Stacks": [{"StackStatus": "UPDATE_IN_PROGRESS"}]},
        {"Stacks": [{"StackStatus": "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"}]},
        {"Stacks": [{"StackStatus": "UPDATE_COMPLETE", "Outputs": outputs(name)}]}])
    third.deploy(output, package=package)
    assert third.steps() == [
        ("cloudformation", "describe_stacks", 1), ("cloudformation", "update_stack", 1),
        ("cloudformation", "describe_stacks", 4),
        ("lambda", "get_function_configuration", 1),
        ("secretsmanager", "get_secret_value", 1),
        ("kvs", "list_keys", 1), ("kvs", "describe_key_value_store", 1), ("kvs", "update_keys", 1),
        ("s3", "put_object", 1), ("s3", "delete_objects", 1),
        ("kvs", "describe_key_value_store", 1), ("kvs", "update_keys", 1),
        ("cloudfront", "create_invalidation", 1),
    ]
    assert [(a["Puts"], a["Deletes"]) for a in third.arguments("kvs", "update_keys")] == [
        ([], [{"Key": "@gone.user"}]), ([], [{"Key": "^customers/gone/"}])]
    assert third.arguments("s3", "put_object") == [{"Key": "extranet/en/support/index.html"}]
    assert third.arguments("s3", "delete_objects") == [{"Keys": ["extranet/en/index.html"]}]
    assert third.arguments("cloudfront", "create_invalidation")[0]["InvalidationBatch"]["Paths"] == {
        "Quantity": 4, "Items": ["/extranet/en/", "/extranet/en/index.html", "/extranet/en/support/",
                                 "/extranet/en/support/index.html"]}
    assert third.said[:2] == ["stack extranet-prod: updating, waiting (a new distribution takes minutes)",
                              "stack extranet-prod: updated (distribution d111111abcdef8.cloudfront.net)"]
    assert third.said[3:7] == [
        "key value store: 0 put, 1 deleted (removed users), before the pages",
        f"s3://{name}/extranet/: 1 uploaded, 1 deleted, {len(site) - 2} unchanged",
        "key value store: 0 put (wider audiences), 1 deleted (rules no longer built), after the pages",
        "invalidation I2EXAMPLE: 4 path(s)",
    ]
    remaining = stored_objects(s3, name)
    assert remaining["extranet/en/support/index.html"] == page.read_bytes()
    assert "extranet/en/index.html" not in remaining
    assert len(remaining) == len(site)  # the artifact outside the prefix stays


# --- refusals and failures, exact messages --------------------------------------------------------------

def test_a_region_other_than_us_east_1_is_refused(tmp_path: Path, capsys) -> None:
    assert cli.main(["deploy", "--cloudfront", "extranet-prod", "--region", "eu-central-1", "--output",
                     str(tmp_path)]) == 1
    assert capsys.readouterr().err == (
        "extranet deploy: --region eu-central-1: the CloudFront stack lives in us-east-1 only (its WAF web ACL "
        "has the scope CLOUDFRONT, which exists in us-east-1 alone; the distribution still serves from every "
        "edge location)\n")


@pytest.mark.parametrize("name", ["2extranet", "extranet_prod", "extranet prod", "x" * 58])
def test_a_stack_name_cloudfront_cannot_name_its_parts_after_is_refused(tmp_path: Path, capsys, name: str) -> None:
    assert cli.main(["deploy", "--cloudfront", name, "--output", str(tmp_path)]) == 1
    assert capsys.readouterr().err == (
        f"extranet deploy: stack name {name!r}: expected a letter, then letters, digits and hyphens, at most 57 "
        "characters (CloudFront names the function and its store after it, in 64)\n")


def test_a_directory_without_a_build_is_refused(tmp_path: Path, capsys) -> None:
    assert cli.main(["deploy", "--cloudfront", "extranet-prod", "--output", str(tmp_path)]) == 1
    assert capsys.readouterr().err == (
        f"extranet deploy: {tmp_path} holds no build for CloudFront (no site/, server/cloudfront/template.json or "
        "server/cloudfront/kvs.json); run `extranet build`\n")


def test_options_of_other_deploys_are_usage_errors(tmp_path: Path, capsys) -> None:
    assert cli.main(["deploy", "--cloudfront", "s", "--output", str(tmp_path), "--server", "nginx", "--prefix", "p",
                     "--dry-run"]) == 2
    assert capsys.readouterr().err == "extranet deploy: --server, --prefix, --dry-run: not with --cloudfront\n"


def small_build(tmp_path: Path) -> Path:
    """Just enough of a build for the steps before the sync."""
    output = tmp_path / "build"
    (output / "site").mkdir(parents=True)
    (output / "server/cloudfront").mkdir(parents=True)
    (output / "server/access.json").write_text(json.dumps({"root": None, "base": BASE, "areas": []}))
    (output / "server/cloudfront/template.json").write_text(TEMPLATE)
    (output / "server/cloudfront/kvs.json").write_text('{"data": []}')
    return output


def test_a_failed_stack_reports_its_status_reason_and_first_failed_resource(tmp_path: Path) -> None:
    at = dt.datetime.fromtimestamp(START + 30, dt.UTC)
    account = Account(None, stack=[
        client_error("DescribeStacks", "ValidationError", "Stack with id extranet-prod does not exist"),
        {"Stacks": [{"StackStatus": "ROLLBACK_IN_PROGRESS"}]},
        {"Stacks": [{"StackStatus": "ROLLBACK_COMPLETE",
                     "StackStatusReason": "The following resource(s) failed to create: [Distribution, WebAcl]."}]}])
    account.clients.cloudformation.answers["describe_stack_events"] = [{"StackEvents": [  # newest first
        {"Timestamp": at + dt.timedelta(seconds=9), "LogicalResourceId": "Distribution",
         "ResourceStatus": "CREATE_FAILED", "ResourceStatusReason": "Resource creation cancelled"},
        {"Timestamp": at, "LogicalResourceId": "WebAcl", "ResourceStatus": "CREATE_FAILED",
         "ResourceStatusReason": "Error reason: The scope is not valid., field: SCOPE_VALUE"},
        {"Timestamp": at - dt.timedelta(days=1), "LogicalResourceId": "Old", "ResourceStatus": "UPDATE_FAILED",
         "ResourceStatusReason": "an earlier deploy's"},
    ]}]
    with pytest.raises(deploy.DeployFailed) as raised:
        account.deploy(small_build(tmp_path))
    assert str(raised.value) == (
        "stack extranet-prod: ROLLBACK_COMPLETE: The following resource(s) failed to create: [Distribution, WebAcl].; "
        "first failure: WebAcl CREATE_FAILED: Error reason: The scope is not valid., field: SCOPE_VALUE")
    assert [step[:2] for step in account.steps()][-1] == ("cloudformation", "describe_stack_events")


def test_a_stack_without_the_outputs_is_refused_before_anything_else(tmp_path: Path) -> None:
    account = Account(None, stack=[{"Stacks": [COMPLETE]}, {"Stacks": [
        {**COMPLETE, "Outputs": outputs("b", KeyValueStoreArn="", SessionSecretArn="")}]}])
    account.clients.cloudformation.answers["update_stack"] = [
        client_error("UpdateStack", "ValidationError", "No updates are to be performed.")]
    with pytest.raises(deploy.DeployFailed) as raised:
        account.deploy(small_build(tmp_path), "someone-elses")
    assert str(raised.value) == (
        "stack someone-elses has no output KeyValueStoreArn, SessionSecretArn: it was not made from `extranet "
        "build`'s server/cloudfront/template.json")
    assert {service for service, _, _ in account.log} == {"cloudformation"}


def test_an_aws_error_is_reported_with_the_services_message(tmp_path: Path) -> None:
    account = Account(None, stack=[{"Stacks": [COMPLETE]}])
    account.clients.cloudformation.answers["update_stack"] = [client_error(
        "UpdateStack", "ValidationError", "Stack:arn:x is in ROLLBACK_COMPLETE state and can not be updated.")]
    with pytest.raises(deploy.DeployFailed) as raised:
        account.deploy(small_build(tmp_path))
    assert str(raised.value) == (
        "CloudFormation: An error occurred (ValidationError) when calling the UpdateStack operation: "
        "Stack:arn:x is in ROLLBACK_COMPLETE state and can not be updated.")


def test_a_template_beyond_cloudformations_inline_limit_is_refused_before_any_call(tmp_path: Path) -> None:
    output = small_build(tmp_path)
    template = output / "server/cloudfront/template.json"
    template.write_text(json.dumps({"Description": "x" * 51200}, indent=2))
    account = Account(None, stack=[{"Stacks": [COMPLETE]}])
    with pytest.raises(deploy.DeployRefused) as raised:
        account.deploy(output)
    assert str(raised.value) == (
        f"{template} is 51218 bytes without indentation; CloudFormation takes at most 51200 bytes inline")
    assert account.log == []


def test_a_failed_code_update_of_the_login_function_stops_the_deploy(tmp_path: Path) -> None:
    account = Account(None, stack=[{"Stacks": [{**COMPLETE, "Outputs": outputs("b")}]}])
    account.clients.cloudformation.answers["update_stack"] = [
        client_error("UpdateStack", "ValidationError", "No updates are to be performed.")]
    account.clients.lambda_.answers["get_function_configuration"] = [
        {"CodeSha256": "placeholder"}, {"LastUpdateStatus": "Failed", "LastUpdateStatusReason": "Unzipped size must be "
                                        "smaller than 262144000 bytes"}]
    with pytest.raises(deploy.DeployFailed) as raised:
        account.deploy(small_build(tmp_path))
    assert str(raised.value) == (
        "login function extranet-Login-1: the code update Failed: Unzipped size must be smaller than 262144000 bytes")
    assert [service for service, _, _ in account.log][-1] == "lambda"


def test_a_session_secret_too_short_for_the_function_stops_before_the_store(tmp_path: Path) -> None:
    account = Account(None, lambda_sha=login.code_sha256(ZIP), stack=[
        {"Stacks": [{**COMPLETE, "Outputs": outputs("b")}]}])
    account.clients.cloudformation.answers["update_stack"] = [
        client_error("UpdateStack", "ValidationError", "No updates are to be performed.")]
    account.clients.secretsmanager.answers["get_secret_value"] = [{"SecretString": "x" * 31}]
    with pytest.raises(deploy.DeployFailed) as raised:
        account.deploy(small_build(tmp_path))
    assert str(raised.value) == (
        "the session secret arn:aws:secretsmanager:us-east-1:123456789012:secret:session-1 has 31 characters; the "
        "edge function takes none shorter than 32 (every session would be refused): set a longer one in Secrets "
        "Manager and deploy again")
    assert [service for service, _, _ in account.log][-1] == "secretsmanager"


def test_the_command_line_deploys_in_us_east_1_and_prints_one_line_per_step(built: Path, bucket, monkeypatch,
                                                                             capsys) -> None:
    """`extranet deploy --cloudfront STACK --output DIR`: the clients of us-east-1, the real `package_login`
    (pip's download of bcrypt replaced by the stand-in wheel), the lines on stdout."""
    name, s3 = bucket
    account = Account(s3, stack=[{"Stacks": [{**COMPLETE, "Outputs": outputs(name)}]}],
                      lambda_sha=login.code_sha256(packager(built)(built / "server", built / "site")),
                      stored={**KVS, "secret": SECRET})
    account.clients.cloudformation.answers["update_stack"] = [
        client_error("UpdateStack", "ValidationError", "No updates are to be performed.")]
    regions: list[str] = []
    monkeypatch.setattr(deploy.Clients, "connect", classmethod(lambda cls, region: regions.append(region)
                                                               or account.clients))
    monkeypatch.setattr(login, "fetch_bcrypt", lambda directory: built.parent / "wheels")

    assert cli.main(["deploy", "--cloudfront", "extranet-prod", "--output", str(built)]) == 0
    site = files(built)
    assert regions == ["us-east-1"]
    assert capsys.readouterr() == ("\n".join([
        "stack extranet-prod: unchanged (distribution d111111abcdef8.cloudfront.net)",
        "login function extranet-Login-1: code unchanged",
        "key value store: 0 put, 0 deleted (removed users), before the pages",
        f"s3://{name}/extranet/: {len(site)} uploaded, 0 deleted, 0 unchanged",
        "key value store: 0 put (wider audiences), 0 deleted (rules no longer built), after the pages",
        f"invalidation I2EXAMPLE: {len(site) + sum(path.endswith('index.html') for path in site)} path(s)",
        deploy.PROPAGATION,
    ]) + "\n", "")


def test_store_updates_past_one_batch_chain_the_etag_of_each_answer(tmp_path: Path) -> None:
    output = small_build(tmp_path)
    users = {f"@user{n:02}": "alpha" for n in range(60)}
    (output / "server/cloudfront/kvs.json").write_text(json.dumps(
        {"data": [{"key": key, "value": value} for key, value in users.items()]}))
    account = Account(Fake("s3", [], list_objects_v2=[{"Contents": []}]), lambda_sha=login.code_sha256(ZIP),
                      stack=[{"Stacks": [{**COMPLETE, "Outputs": outputs("b")}]}], stored={"secret": SECRET})
    account.clients.cloudformation.answers["update_stack"] = [
        client_error("UpdateStack", "ValidationError", "No updates are to be performed.")]
    account.deploy(output)
    updates = account.arguments("kvs", "update_keys")
    assert [(update["IfMatch"], len(update["Puts"]), update["Deletes"]) for update in updates] == [
        ("ETAG1", 50, []), ("ETAG2", 10, [])]
    assert [put["Key"] for update in updates for put in update["Puts"]] == sorted(users)
    assert account.said[2] == "key value store: 60 put, 0 deleted (removed users), before the pages"
