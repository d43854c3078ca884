"""`extranet deploy --cloudfront STACK`: one command from a build to the live distribution.

The steps, in this order, each for a reason:

1. The stack (CloudFormation, `server/cloudfront/template.json`): created, or updated ("no updates"
   is fine), and waited for. Everything after it needs its outputs (bucket, distribution, store,
   login function, secret).
2. The login function's code, when its SHA-256 differs from the deployed one (the stack holds a
   placeholder that answers 503 until then).
3. The KeyValueStore, first part: the session secret (from Secrets Manager: the only place it is
   written, never a file of the build), every new or changed key, and the deletion of removed users.
   Before the pages: a new customer's rule must be there before its pages, or they would fall under
   a wider rule; a removed user is out at once.
4. The web root to the private bucket under the base's prefix (`syncing.sync`: assets before pages,
   deletions last; private files too, since the function in front of the bucket enforces the logins).
5. The KeyValueStore, second part: rule changes that widen an audience (customers' page made public)
   and the deletion of rules no longer built. After the pages: before them, the old content of a
   path would be served to the wider audience, or a page about to be deleted would fall under a
   wider rule while it is still in the bucket.
6. An invalidation of the paths the sync changed (a directory's `index.html` also as the directory
   URL); past CloudFront's limit of paths in progress, the whole base (`<base>*`).

The viewer-request function runs before CloudFront's cache on every request, so a KeyValueStore change
needs no invalidation: it applies once it reached the edge location (`PROPAGATION`).

Private files go to the bucket with the Cache-Control `syncing` gives every file: the function decides
before the cache, so CloudFront may cache a customer's page for everyone's requests and still serve it
to that customer only, and the viewer-response function marks every non-public answer `private,
no-store` for browsers. `private, no-store` on the objects themselves would only keep CloudFront from
caching them (every such request a trip to the bucket); `deploy --s3` is unchanged.

The decisions (what to put and delete, in which part; which paths to invalidate) are pure functions
(`kvs_plan`, `invalidation_paths`) with exact tables in the tests; `deploy` only calls AWS in order.
Every AWS error becomes `DeployFailed` with the service's own message (as `syncing` does for S3), so no
caller needs botocore. Rejected: boto3's waiters for the stack (their error says "Waiter encountered a
terminal failure state", not the resource that failed and why), the KeyValueStore's S3 import (only
at the store's creation: CloudFormation cannot re-import into an existing store), and a full
invalidation on every deploy (it empties every edge cache of the unchanged assets too).
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from extranet import access, access_record, syncing
from extranet.cloudfront import function, login, stack
from extranet.exceptions import ExtranetError, aws_errors

if TYPE_CHECKING:  # stubs only (test extras): boto3 builds its clients at run time
    from types_boto3_cloudformation import CloudFormationClient
    from types_boto3_cloudformation.type_defs import ParameterTypeDef
    from types_boto3_cloudfront import CloudFrontClient
    from types_boto3_cloudfront_keyvaluestore import CloudFrontKeyValueStoreClient
    from types_boto3_lambda import LambdaClient
    from types_boto3_s3 import S3Client
    from types_boto3_secretsmanager import SecretsManagerClient

REGION = stack.REGION
STACK_NAME = stack.STACK_NAME
"""What `deploy` takes for a stack name (the template's rule)."""
"""The only region the stack can live in: its WAF web ACL has scope CLOUDFRONT, which exists there alone."""

OUTPUTS = stack.OUTPUTS
"""The stack's outputs the deploy reads (template.json declares them)."""

SECRET_KEY = function.SECRET_KEY
"""The KeyValueStore key of the session secret: put by the deploy only, never in a file of the build."""
ERROR_PAGES = tuple(stack.ERROR_PAGES.values())
"""Uploaded with `Cache-Control: private, no-store`: CloudFront serves them at refused URLs."""

SECRET_LENGTH = function.MINIMUM_SECRET
"""The shortest session secret the edge function and the login function accept (the stack generates 64)."""

KVS_BATCH = 50
"""Keys per UpdateKeys request (puts and deletes together): CloudFront's quota is 50 keys or 3 MB."""

INVALIDATION_PATHS = 3000
"""Paths of one distribution's invalidations in progress at a time (CloudFront's documented maximum);
past it, the deploy invalidates `<base>*` (one wildcard path)."""

TEMPLATE_BODY = 51200
"""The largest template CloudFormation takes inline (TemplateBody), in bytes."""

PROPAGATION = (
    "KeyValueStore changes (users, removed users, revoked customers, rules) apply at an edge location once "
    "the store has reached it, typically within seconds (AWS states no guaranteed figure); the function reads "
    "the store on every request, so no invalidation is needed"
)
"""Said after each deploy, so a maintainer knows when a removed user is out. AWS's KeyValueStore pages
describe a global store read at the edge without a propagation figure; "seconds" is what AWS's
announcement and others' measurements describe, not a quota."""

STACK_POLL = 10.0
"""Seconds between two looks at a stack being created or updated (a distribution takes minutes)."""
STACK_TIMEOUT = 3600.0

_DONE = ("CREATE_COMPLETE", "UPDATE_COMPLETE")
_RULE_KEYS = ("=", "^")
_USER_KEY = "@"


class DeployRefused(ExtranetError):
    """The deploy did not start; the message says why. Nothing in AWS was touched."""


class DeployFailed(ExtranetError):
    """AWS refused a step, or the stack did not reach a complete state; the message says what AWS answered.
    The steps before it stay done: a run again finishes the deploy."""


# --- decisions --------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Batch:
    puts: tuple[tuple[str, str], ...] = ()
    deletes: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.puts or self.deletes)


@dataclasses.dataclass(frozen=True)
class KvsPlan:
    before: Batch
    """Before the sync: the secret, new and narrowed keys, removed users' deletions."""
    after: Batch
    """After the sync: widened rules, and rules no longer built."""


def _readers(value: str) -> frozenset[str]:
    """Who a rule's value admits: `anonymous`, `staff`, `customer:X`, or `customer:*` for every customer.
    A value the function does not know admits nobody (it refuses: fail closed)."""
    if value == access.PUBLIC:
        return frozenset({"anonymous", "staff", "customer:*"})
    if value == access.CUSTOMERS:
        return frozenset({"staff", "customer:*"})
    if value == access.STAFF:
        return frozenset({"staff"})
    if value.startswith(f"{access.CUSTOMER}:") and value != f"{access.CUSTOMER}:":
        return frozenset({"staff", value})
    return frozenset()


def widens(new: str, old: str) -> bool:
    """Whether the rule value `new` admits someone `old` does not."""
    before = _readers(old)
    return any(
        reader not in before and not (reader.startswith("customer:") and "customer:*" in before)
        for reader in _readers(new)
    )


def kvs_plan(built: Mapping[str, str], stored: Mapping[str, str], secret: str) -> KvsPlan:
    """What to put into and delete from the KeyValueStore, before and after the sync of the web root.

    `built`: the build's kvs.json; `stored`: what the store holds; `secret`: the session secret. Keys of
    another shape than a rule (`=`, `^`), a user (`@`) or the secret are left alone (not ours)."""
    ours = {key: value for key, value in built.items() if key != SECRET_KEY}
    before: list[tuple[str, str]] = []
    after: list[tuple[str, str]] = []
    for key, value in sorted(ours.items()):
        old = stored.get(key)
        if old == value:
            continue
        late = old is not None and key.startswith(_RULE_KEYS) and widens(value, old)
        (after if late else before).append((key, value))
    if stored.get(SECRET_KEY) != secret:
        before.append((SECRET_KEY, secret))
    gone = sorted(key for key in stored if key not in ours and key != SECRET_KEY)
    return KvsPlan(
        before=Batch(tuple(before), tuple(key for key in gone if key.startswith(_USER_KEY))),
        after=Batch(tuple(after), tuple(key for key in gone if key.startswith(_RULE_KEYS))),
    )


def batches(batch: Batch, size: int = KVS_BATCH) -> list[Batch]:
    """`batch` cut into UpdateKeys requests of at most `size` keys: deletions first, then puts."""
    items: list[tuple[str, str | None]] = [(key, None) for key in batch.deletes] + list(batch.puts)
    return [
        Batch(
            tuple((key, value) for key, value in items[start : start + size] if value is not None),
            tuple(key for key, value in items[start : start + size] if value is None),
        )
        for start in range(0, len(items), size)
    ]


def invalidation_paths(changed: Sequence[str], base: str, limit: int = INVALIDATION_PATHS) -> list[str]:
    """The URL paths to invalidate for the web-root files `changed` (relative to the site), sorted.

    A directory's `index.html` is also served as the directory URL (`<base>guides/`). More paths than
    `limit`: the one wildcard `<base>*`."""
    paths: set[str] = set()
    for path in changed:
        paths.add(base + quote(path))
        if path == "index.html" or path.endswith("/index.html"):
            paths.add(base + quote(path.removesuffix("index.html")))
    if len(paths) > limit:
        return [base + "*"]
    return sorted(paths)


# --- the deploy -------------------------------------------------------------------------------------


@dataclasses.dataclass
class Clients:
    """One client per AWS service the deploy calls, all in `REGION` (the tests pass recording fakes)."""

    cloudformation: CloudFormationClient
    lambda_: LambdaClient
    secretsmanager: SecretsManagerClient
    kvs: CloudFrontKeyValueStoreClient
    cloudfront: CloudFrontClient
    s3: S3Client

    @classmethod
    def connect(cls, region: str = REGION) -> Clients:
        import boto3

        return cls(
            cloudformation=boto3.client("cloudformation", region_name=region),
            lambda_=boto3.client("lambda", region_name=region),
            secretsmanager=boto3.client("secretsmanager", region_name=region),
            kvs=boto3.client("cloudfront-keyvaluestore", region_name=region),
            cloudfront=boto3.client("cloudfront", region_name=region),
            s3=boto3.client("s3", region_name=region),
        )


Packager = Callable[[Path, Path], bytes]
"""(server/ directory, site/ directory) -> the login function's zip."""


def package_login(server_dir: Path, site_dir: Path) -> bytes:
    """The login function's zip: its code and data, its public pages and bcrypt (`login.package`)."""
    with tempfile.TemporaryDirectory(prefix="extranet-bcrypt-") as wheels:
        return login.package(server_dir, site_dir, login.fetch_bcrypt(Path(wheels)))


@dataclasses.dataclass
class Outcome:
    stack: str
    """`created`, `updated` or `unchanged`."""
    outputs: dict[str, str]
    login_updated: bool
    before: Batch
    sync: syncing.SyncResult
    after: Batch
    invalidated: list[str]
    invalidation_id: str | None


def deploy(
    output: Path,
    stack: str,
    *,
    region: str = REGION,
    clients: Clients | None = None,
    package: Packager = package_login,
    say: Callable[[str], None] = print,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.time,
) -> Outcome:
    """Deploy the build in `output` to the CloudFront stack `stack`; `say` gets one line per step."""
    if region != REGION:
        raise DeployRefused(
            f"--region {region}: the CloudFront stack lives in {REGION} only (its WAF web ACL has the scope "
            f"CLOUDFRONT, which exists in {REGION} alone; the distribution still serves from every edge location)"
        )
    if not STACK_NAME.fullmatch(stack):
        raise DeployRefused(
            f"stack name {stack!r}: expected a letter, then letters, digits and hyphens, at most 57 characters "
            f"(CloudFront names the function and its store after it, in 64)"
        )
    target = output / "server" / "cloudfront"
    template, data = target / "template.json", target / "kvs.json"
    if not (output / "site").is_dir() or not template.is_file() or not data.is_file():
        raise DeployRefused(
            f"{output} holds no build for CloudFront (no site/, server/cloudfront/template.json or "
            f"server/cloudfront/kvs.json); run `extranet build`"
        )
    try:
        base = access_record.read(output).base
    except access_record.NoBuild as error:
        raise DeployRefused(str(error)) from None
    # Sent without the file's indentation: the same template in about half the bytes.
    declared = json.loads(template.read_text(encoding="utf-8"))
    body = json.dumps(declared, separators=(",", ":"), sort_keys=True, ensure_ascii=False)
    if len(body.encode()) > TEMPLATE_BODY:
        raise DeployRefused(
            f"{template} is {len(body.encode())} bytes without indentation; CloudFormation takes at most "
            f"{TEMPLATE_BODY} bytes inline"
        )
    built = {item["key"]: item["value"] for item in json.loads(data.read_text(encoding="utf-8"))["data"]}
    zipped = package(output / "server", output / "site")  # before AWS: a failed package touches nothing
    aws = clients or Clients.connect(region)

    status = _stack(aws.cloudformation, stack, body, sorted(declared.get("Parameters", {})), say, sleep, clock)
    outputs = _outputs(aws.cloudformation, stack)
    say(f"stack {stack}: {status} (distribution {outputs['DistributionDomainName']})")

    login_updated = _login(aws.lambda_, outputs["LoginFunctionName"], zipped, sleep)
    say(f"login function {outputs['LoginFunctionName']}: " + ("code updated" if login_updated else "code unchanged"))

    with _aws_errors("Secrets Manager"):
        secret = aws.secretsmanager.get_secret_value(SecretId=outputs["SessionSecretArn"])["SecretString"]
    if len(secret) < SECRET_LENGTH:
        raise DeployFailed(
            f"the session secret {outputs['SessionSecretArn']} has {len(secret)} characters; the edge function "
            f"takes none shorter than {SECRET_LENGTH} (every session would be refused): set a longer one in "
            f"Secrets Manager and deploy again"
        )
    arn = outputs["KeyValueStoreArn"]
    plan = kvs_plan(built, _stored(aws.kvs, arn), secret)
    _update(aws.kvs, arn, plan.before)
    say(
        f"key value store: {len(plan.before.puts)} put, {len(plan.before.deletes)} deleted "
        f"(removed users), before the pages"
    )

    prefix = base.lstrip("/")
    result = syncing.sync(
        output,
        outputs["BucketName"],
        prefix=prefix,
        allow_private=True,
        no_store=ERROR_PAGES,
        client=aws.s3,
    )
    say(
        f"s3://{outputs['BucketName']}/{prefix}: {len(result.uploaded)} uploaded, {len(result.deleted)} deleted, "
        f"{result.unchanged} unchanged"
    )

    _update(aws.kvs, arn, plan.after)
    say(
        f"key value store: {len(plan.after.puts)} put (wider audiences), {len(plan.after.deletes)} deleted "
        f"(rules no longer built), after the pages"
    )

    changed = [key.removeprefix(prefix) for key in (*result.uploaded, *result.deleted)]
    paths = invalidation_paths(changed, base)
    invalidation = _invalidate(aws.cloudfront, outputs["DistributionId"], paths, clock) if paths else None
    say(f"invalidation {invalidation}: {len(paths)} path(s)" if invalidation else "invalidation: none needed")
    say(PROPAGATION)
    return Outcome(status, outputs, login_updated, plan.before, result, plan.after, paths, invalidation)


def _aws_errors(service: str) -> contextlib.AbstractContextManager[None]:
    """botocore's exceptions as `DeployFailed` with the service's message."""
    return aws_errors(DeployFailed, service)


def _client_error(error: Exception) -> tuple[str, str]:
    response: dict[str, Any] = getattr(error, "response", {}) or {}
    return response.get("Error", {}).get("Code", ""), response.get("Error", {}).get("Message", "")


def _stack(
    cloudformation: CloudFormationClient,
    stack: str,
    body: str,
    parameters: list[str],
    say: Callable[[str], None],
    sleep: Callable[[float], None],
    clock: Callable[[], float],
) -> str:
    """Create or update the stack and wait until it is complete; `created`, `updated` or `unchanged`."""
    from botocore.exceptions import ClientError

    arguments: dict[str, Any] = {
        "StackName": stack,
        "TemplateBody": body,
        "Capabilities": ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"],
    }
    with _aws_errors("CloudFormation"):
        try:
            current = cloudformation.describe_stacks(StackName=stack)["Stacks"][0]
        except ClientError as error:
            if "does not exist" not in _client_error(error)[1]:
                raise
            current = None
        started = clock()
        if current is None:
            cloudformation.create_stack(**arguments, OnFailure="ROLLBACK")
            verb = "created"
        else:
            # The stack's parameters (alias, certificate, downloads) keep the values the vendor set; one
            # the template no longer declares is dropped, a new one takes its default.
            previous: list[ParameterTypeDef] = [
                {"ParameterKey": item["ParameterKey"], "UsePreviousValue": True}
                for item in current.get("Parameters", [])
                if item["ParameterKey"] in parameters
            ]
            try:
                cloudformation.update_stack(**arguments, Parameters=previous)
            except ClientError as error:
                if "No updates are to be performed" not in _client_error(error)[1]:
                    raise
                return "unchanged"
            verb = "updated"
        say(f"stack {stack}: {verb[:-2]}ing, waiting (a new distribution takes minutes)")
        _wait(cloudformation, stack, started, sleep, clock)
    return verb


def _wait(
    cloudformation: CloudFormationClient,
    stack: str,
    started: float,
    sleep: Callable[[float], None],
    clock: Callable[[], float],
) -> None:
    while True:
        described = cloudformation.describe_stacks(StackName=stack)["Stacks"][0]
        status = described["StackStatus"]
        if not status.endswith("_IN_PROGRESS"):
            break
        if clock() - started > STACK_TIMEOUT:
            raise DeployFailed(
                f"stack {stack}: still {status} after {STACK_TIMEOUT:.0f} s; see the CloudFormation console"
            )
        sleep(STACK_POLL)
    if status in _DONE:
        return
    reason = described.get("StackStatusReason", "")
    message = f"stack {stack}: {status}" + (f": {reason}" if reason else "")
    failed = _first_failure(cloudformation, stack, started)
    raise DeployFailed(message + (f"; first failure: {failed}" if failed else ""))


def _first_failure(cloudformation: CloudFormationClient, stack: str, started: float) -> str | None:
    """The earliest resource that failed since `started`: its logical id, status and reason."""
    events = cloudformation.describe_stack_events(StackName=stack)["StackEvents"]  # newest first
    for event in reversed(events):
        if event["Timestamp"].timestamp() >= started - 1 and event["ResourceStatus"].endswith("_FAILED"):
            return f"{event['LogicalResourceId']} {event['ResourceStatus']}: {event.get('ResourceStatusReason', '')}"
    return None


def _outputs(cloudformation: CloudFormationClient, stack: str) -> dict[str, str]:
    with _aws_errors("CloudFormation"):
        described = cloudformation.describe_stacks(StackName=stack)["Stacks"][0]
    outputs = {item["OutputKey"]: item["OutputValue"] for item in described.get("Outputs", [])}
    missing = [name for name in OUTPUTS if name not in outputs]
    if missing:
        raise DeployFailed(
            f"stack {stack} has no output {', '.join(missing)}: it was not made from `extranet build`'s "
            f"server/cloudfront/template.json"
        )
    return {name: outputs[name] for name in OUTPUTS}


def _login(lambda_: LambdaClient, name: str, zipped: bytes, sleep: Callable[[float], None]) -> bool:
    """Upload the login function's code when it differs from the deployed code; whether it did."""
    with _aws_errors("Lambda"):
        if lambda_.get_function_configuration(FunctionName=name)["CodeSha256"] == login.code_sha256(zipped):
            return False
        lambda_.update_function_code(FunctionName=name, ZipFile=zipped)
        while lambda_.get_function_configuration(FunctionName=name).get("LastUpdateStatus") == "InProgress":
            sleep(1)
        configuration = lambda_.get_function_configuration(FunctionName=name)
    if configuration.get("LastUpdateStatus", "Successful") != "Successful":
        raise DeployFailed(
            f"login function {name}: the code update {configuration['LastUpdateStatus']}: "
            f"{configuration.get('LastUpdateStatusReason', '')}"
        )
    return True


def _stored(kvs: CloudFrontKeyValueStoreClient, arn: str) -> dict[str, str]:
    stored: dict[str, str] = {}
    with _aws_errors("KeyValueStore"):
        for page in kvs.get_paginator("list_keys").paginate(KvsARN=arn):
            stored.update((item["Key"], item["Value"]) for item in page.get("Items", []))
    return stored


def _update(kvs: CloudFrontKeyValueStoreClient, arn: str, batch: Batch) -> None:
    """UpdateKeys in batches, each with the store's current ETag (IfMatch), which each answer renews."""
    if not batch:
        return
    with _aws_errors("KeyValueStore"):
        etag = kvs.describe_key_value_store(KvsARN=arn)["ETag"]
        for part in batches(batch):
            answer = kvs.update_keys(
                KvsARN=arn,
                IfMatch=etag,
                Puts=[{"Key": key, "Value": value} for key, value in part.puts],
                Deletes=[{"Key": key} for key in part.deletes],
            )
            etag = answer["ETag"]


def _invalidate(cloudfront: CloudFrontClient, distribution: str, paths: list[str], clock: Callable[[], float]) -> str:
    with _aws_errors("CloudFront"):
        answer = cloudfront.create_invalidation(
            DistributionId=distribution,
            InvalidationBatch={
                "Paths": {"Quantity": len(paths), "Items": paths},
                "CallerReference": f"extranet-{clock():.6f}",
            },
        )
    return answer["Invalidation"]["Id"]
