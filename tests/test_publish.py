"""`extranet publish` and the build's storage check, against real S3 endpoints and local storage.

What each endpoint verifies (tests/endpoints.py): moto in server mode stores objects and their
metadata faithfully but checks neither presigned signatures nor expiry, so it shows what publish
uploads and what the build finds in a bucket; s3rver refuses a presigned URL past its expiry but
does not verify V4 signatures, so it shows expiry and the bytes a valid link returns. Signature
correctness is shown offline in tests/test_links.py.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import itertools
import urllib.error
import urllib.request

import boto3
import pytest
from botocore.config import Config

from extranet.cli import main
from extranet.loading import load
from extranet.storage import S3Storage

from .conftest import NOW, RELEASES
from .endpoints import S3RVER_BUCKET, S3RVER_CREDENTIALS
from .test_build import tree

PAYLOAD = {version: f"artifact {version}\n".encode() for version, _, _ in RELEASES}
"""What the small project's artifacts hold: each release's two files have the same 15 bytes."""
KEYS = sorted(f"{version}/{name}-{version}.tar.gz" for version in PAYLOAD for name in ("app", "extra"))
_buckets = itertools.count()


def s3_project(project, endpoint: str, bucket: str, prefix: str = "") -> None:
    """Switch the small project to the s3 backend on a test endpoint (path-style: no DNS for buckets)."""
    project.replace("mkdocs.yml", "        root: storage\n",
                    f"        backend: s3\n        bucket: {bucket}\n        endpoint_url: {endpoint}\n"
                    f"        addressing_style: path\n        region: eu-central-1\n        prefix: \"{prefix}\"\n")


def s3_client(endpoint: str):  # noqa: ANN201
    return boto3.session.Session().client("s3", region_name="eu-central-1", endpoint_url=endpoint,
                                          config=Config(s3={"addressing_style": "path"}))


@pytest.fixture
def bucket(moto_endpoint, aws_credentials) -> str:
    """A new, empty bucket on moto for each test."""
    name = f"artifacts-{next(_buckets)}"
    s3_client(moto_endpoint).create_bucket(Bucket=name,
                                           CreateBucketConfiguration={"LocationConstraint": "eu-central-1"})
    return name


def publish(project, *extra: str, source: str = "storage") -> int:
    return main(["-f", str(project.config), "publish", "--from", str(project.root / source), *extra])


def objects(endpoint: str, bucket: str) -> dict[str, dict]:
    client = s3_client(endpoint)
    found = {}
    for item in client.list_objects_v2(Bucket=bucket).get("Contents", []):
        got = client.get_object(Bucket=bucket, Key=item["Key"])
        found[item["Key"]] = {"body": got["Body"].read(), "type": got["ContentType"], "metadata": got["Metadata"]}
    return found


def test_publish_uploads_every_artifact_with_its_sha256_then_nothing(project, moto_endpoint, bucket, capsys):
    """moto (stores faithfully, checks no signature): what publish puts in the bucket, and that a
    second run puts nothing."""
    s3_project(project, moto_endpoint, bucket)

    assert publish(project) == 0

    assert capsys.readouterr() == ("uploaded 6 (90 bytes), already there 0, failed 0\n", "")
    stored = objects(moto_endpoint, bucket)
    assert sorted(stored) == KEYS
    for key, item in stored.items():
        sha256 = hashlib.sha256(PAYLOAD[key.split("/")[0]]).hexdigest()
        assert item["body"] == PAYLOAD[key.split("/")[0]]
        assert hashlib.sha256(item["body"]).hexdigest() == sha256
        assert item["metadata"] == {"sha256": sha256}
        assert item["type"] == "application/gzip"  # not x-tar with Content-Encoding: gzip, which clients would unpack

    assert publish(project) == 0
    assert capsys.readouterr() == ("uploaded 0 (0 bytes), already there 6, failed 0\n", "")
    assert objects(moto_endpoint, bucket) == stored


def test_publish_replaces_only_what_is_missing_or_different(project, moto_endpoint, bucket, capsys):
    """moto: idempotence is per object and judged by the stored sha256, not by the key alone."""
    s3_project(project, moto_endpoint, bucket, prefix="extranet/")
    assert publish(project) == 0
    client = s3_client(moto_endpoint)
    client.delete_object(Bucket=bucket, Key="extranet/1.0.0/app-1.0.0.tar.gz")
    client.put_object(Bucket=bucket, Key="extranet/2.0.0/extra-2.0.0.tar.gz", Body=b"stale\n",
                      Metadata={"sha256": hashlib.sha256(b"stale\n").hexdigest()})
    client.put_object(Bucket=bucket, Key="extranet/1.1.0/app-1.1.0.tar.gz", Body=PAYLOAD["1.1.0"])  # no sha256
    capsys.readouterr()

    assert publish(project) == 0

    assert capsys.readouterr().out == "uploaded 3 (45 bytes), already there 3, failed 0\n"
    stored = objects(moto_endpoint, bucket)
    assert sorted(stored) == ["extranet/" + key for key in KEYS]
    assert stored["extranet/2.0.0/extra-2.0.0.tar.gz"]["body"] == PAYLOAD["2.0.0"]
    assert stored["extranet/1.1.0/app-1.1.0.tar.gz"]["metadata"] == {
        "sha256": hashlib.sha256(PAYLOAD["1.1.0"]).hexdigest()}


def test_a_source_file_unlike_its_manifest_is_reported_there_and_not_uploaded(project, moto_endpoint, bucket,
                                                                               capsys):
    """moto: every mismatch is listed at the manifest line to fix, and none of them reaches the bucket."""
    s3_project(project, moto_endpoint, bucket)
    project.write_bytes("storage/1.1.0/app-1.1.0.tar.gz", b"artifact 1.1.X\n")  # same size, other bytes
    project.write_bytes("storage/2.0.0/app-2.0.0.tar.gz", b"artifact 2.0.0 (rebuilt)\n")
    (project.root / "storage/2.0.0/extra-2.0.0.tar.gz").unlink()
    changed = hashlib.sha256(b"artifact 1.1.X\n").hexdigest()
    expected = hashlib.sha256(PAYLOAD["1.1.0"]).hexdigest()

    assert publish(project) == 1

    out, err = capsys.readouterr()
    assert err.splitlines() == [
        f"releases/1.1.0.yaml:13:13: artifacts[0].sha256: storage/1.1.0/app-1.1.0.tar.gz has sha256 {changed}, "
        f"the manifest says {expected}; nothing uploaded",
        "releases/2.0.0.yaml:14:11: artifacts[0].size: storage/2.0.0/app-2.0.0.tar.gz is 25 bytes, "
        "the manifest says 15; nothing uploaded",
        "releases/2.0.0.yaml:19:11: artifacts[1].file: source file not found: storage/2.0.0/extra-2.0.0.tar.gz",
    ]
    assert out == "uploaded 3 (45 bytes), already there 0, failed 3\n"
    stored = objects(moto_endpoint, bucket)
    assert sorted(stored) == ["1.0.0/app-1.0.0.tar.gz", "1.0.0/extra-1.0.0.tar.gz", "1.1.0/extra-1.1.0.tar.gz"]
    assert all(item["body"] == PAYLOAD[key.split("/")[0]] for key, item in stored.items())


def test_a_bucket_that_is_not_there_fails_every_artifact_by_name(project, moto_endpoint, aws_credentials, capsys):
    """moto: storage errors are failures with the manifest line and the object, all of them, exit 1."""
    s3_project(project, moto_endpoint, "no-such-bucket")

    assert publish(project) == 1

    out, err = capsys.readouterr()
    assert err.splitlines()[0] == ("releases/1.0.0.yaml:13:11: artifacts[0].file: upload failed: "
                                   "s3://no-such-bucket/1.0.0/app-1.0.0.tar.gz: NoSuchBucket: "
                                   "The specified bucket does not exist (HTTP 404)")
    assert len(err.splitlines()) == 6
    assert out == "uploaded 0 (0 bytes), already there 0, failed 6\n"


# --- local storage --------------------------------------------------------------------------------

def use_local_root(project, root: str) -> None:
    project.replace("mkdocs.yml", "        root: storage\n", f"        root: {root}\n")


def test_publish_copies_into_local_storage_atomically_and_once(project, capsys):
    use_local_root(project, "published")

    assert publish(project) == 0
    assert capsys.readouterr().out == "uploaded 6 (90 bytes), already there 0, failed 0\n"
    published = project.root / "published"
    assert tree(published) == tree(project.root / "storage")
    assert not [path for path in published.rglob("*") if path.name.startswith(".")]  # no temporary file left
    assert (published / "1.0.0/app-1.0.0.tar.gz").stat().st_mode & 0o777 == 0o644

    assert publish(project) == 0
    assert capsys.readouterr().out == "uploaded 0 (0 bytes), already there 6, failed 0\n"

    (published / "1.1.0/extra-1.1.0.tar.gz").write_bytes(b"damaged on disk\n")
    assert publish(project) == 0
    assert capsys.readouterr().out == "uploaded 1 (15 bytes), already there 5, failed 0\n"
    assert tree(published) == tree(project.root / "storage")


def test_publish_to_local_storage_refuses_a_mismatch(project, capsys):
    use_local_root(project, "published")
    project.write_bytes("storage/1.0.0/extra-1.0.0.tar.gz", b"artifact 1.0.0 plus\n")

    assert publish(project) == 1

    out, err = capsys.readouterr()
    assert err == ("releases/1.0.0.yaml:20:11: artifacts[1].size: storage/1.0.0/extra-1.0.0.tar.gz is 20 bytes, "
                   "the manifest says 15; nothing uploaded\n")
    assert out == "uploaded 5 (75 bytes), already there 0, failed 1\n"
    assert not (project.root / "published/1.0.0/extra-1.0.0.tar.gz").exists()


def test_when_local_storage_is_the_source_publish_only_verifies(project, capsys):
    """The demo's case: `releases/artifacts` is both the source and the storage root."""
    before = tree(project.root / "storage")

    assert publish(project) == 0
    assert capsys.readouterr().out == "uploaded 0 (0 bytes), already there 6, failed 0\n"
    assert tree(project.root / "storage") == before

    project.write_bytes("storage/1.1.0/app-1.1.0.tar.gz", b"artifact 1.1.X\n")
    assert publish(project) == 1
    assert capsys.readouterr().err.startswith("releases/1.1.0.yaml:13:13: artifacts[0].sha256: ")


def test_the_progress_bar_is_drawn_on_a_terminal_only(project):
    from extranet.publishing import publish as run

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    from tqdm import tqdm

    use_local_root(project, "published")
    terminal, pipe = Terminal(), io.StringIO()
    other = tqdm(total=1, file=io.StringIO())  # another bar of the process, still open: ours stays on its line
    run(project.config, project.root / "storage", progress_to=terminal)
    other.close()
    (project.root / "published").rename(project.root / "first")
    run(project.config, project.root / "storage", progress_to=pipe)
    assert terminal.getvalue().startswith("\rpublish:   0%|          | 0.00/90.0 [00:00<?, ?B/s]")
    assert pipe.getvalue() == ""


def test_a_source_directory_that_is_not_there_is_one_clear_error(project, capsys):
    assert publish(project, source="missing") == 1
    assert capsys.readouterr() == (
        "", "extranet publish: missing: no such directory (expected <version>/<file> in it)\n")


def test_publish_reads_releases_artifacts_next_to_mkdocs_yml_by_default(project, capsys):
    use_local_root(project, "published")
    (project.root / "storage").rename(project.root / "releases/artifacts")

    assert main(["-f", str(project.config), "publish"]) == 0

    assert capsys.readouterr().out == "uploaded 6 (90 bytes), already there 0, failed 0\n"


# --- the build's storage check and --offline -------------------------------------------------------

def test_the_build_refuses_an_artifact_missing_from_the_bucket_unless_offline(project, moto_endpoint, bucket,
                                                                              tmp_path, capsys):
    """moto: the build asks the bucket (head_object) for every artifact; --offline skips that."""
    s3_project(project, moto_endpoint, bucket)
    assert publish(project) == 0
    output = tmp_path / "out"
    assert main(["-f", str(project.config), "build", "--now", NOW, "--output", str(output)]) == 0
    before = tree(output)
    s3_client(moto_endpoint).delete_object(Bucket=bucket, Key="1.1.0/extra-1.1.0.tar.gz")
    capsys.readouterr()
    missing = ["releases/1.1.0.yaml:17:11: artifacts[1].file: '1.1.0/extra-1.1.0.tar.gz' is not in the configured "
               "storage", "1 problem(s); nothing was built"]

    assert main(["-f", str(project.config), "build", "--now", NOW, "--output", str(output)]) == 1
    assert capsys.readouterr().err.splitlines() == missing
    assert tree(output) == before
    assert sorted(path.name for path in output.parent.iterdir()) == ["out", "project"]

    assert main(["-f", str(project.config), "validate"]) == 1
    assert capsys.readouterr().err.splitlines() == [missing[0], "1 problem(s)"]  # validate never builds

    assert main(["-f", str(project.config), "validate", "--offline"]) == 0
    assert capsys.readouterr().out == "ok: 3 releases, 2 customers, 1 support plan(s)\n"
    assert main(["-f", str(project.config), "build", "--offline", "--now", NOW, "--output", str(output)]) == 0
    assert capsys.readouterr().out == f"built {output}\n"
    assert tree(output) == before


def test_offline_skips_the_check_but_not_the_rest_of_validation(project, moto_endpoint, bucket, capsys):
    """moto: an empty bucket, so every artifact is missing; --offline still reports a bad manifest."""
    s3_project(project, moto_endpoint, bucket)
    project.replace("releases/1.1.0.yaml", "kind: minor", "kind: mayor")

    assert main(["-f", str(project.config), "validate", "--offline"]) == 1

    assert capsys.readouterr().err.splitlines() == [
        "releases/1.1.0.yaml:3:7: kind: 'mayor' is not allowed; did you mean 'major'?",
        "1 problem(s)"]


# --- s3rver: expiry ---------------------------------------------------------------------------------

@pytest.fixture
def s3rver_project(project, s3rver_endpoint, monkeypatch, request):
    """The small project published to s3rver under a prefix of its own (the endpoint is shared)."""
    for name, value in S3RVER_CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    s3_project(project, s3rver_endpoint, S3RVER_BUCKET, prefix=f"{request.node.name}/")
    assert publish(project) == 0
    return project


def fetch(url: str) -> tuple[int, dict, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_an_expired_link_is_refused(s3rver_project, s3rver_endpoint, capsys):
    """s3rver checks expiry (not the V4 signature): a link signed two hours ago for one hour, made by
    `extranet link --now`, gets 403 "Request has expired"."""
    two_hours_ago = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=2)).isoformat(timespec="seconds")
    key = "test_an_expired_link_is_refused/1.0.0/app-1.0.0.tar.gz"
    capsys.readouterr()
    assert main(["link", "--backend", "s3", "--bucket", S3RVER_BUCKET, "--key", key, "--region", "eu-central-1",
                 "--expires", "3600", "--now", two_hours_ago, "--endpoint-url", s3rver_endpoint,
                 "--addressing-style", "path"]) == 0
    url = capsys.readouterr().out.strip()

    status, _, body = fetch(url)

    assert status == 403
    assert b"<Code>AccessDenied</Code><Message>Request has expired</Message>" in body


def test_a_valid_link_returns_the_exact_bytes(s3rver_project, s3rver_endpoint):
    """s3rver: a link the pages would show (S3Storage.link, valid for an hour from now) returns the
    file whose sha256 is the manifest's, under its own name. s3rver would accept a wrong signature
    too: this shows the bytes, the name and the expiry check passing, not the signature."""
    extranet = load(s3rver_project.root, languages=("cs", "en"), content_dir="content")
    release = extranet.releases[-1]
    artifact = release.artifacts[0]
    backend = S3Storage(S3RVER_BUCKET, "eu-central-1", 3600, s3rver_endpoint, "path",
                        "test_a_valid_link_returns_the_exact_bytes/")
    link = backend.link(release, artifact, dt.datetime.now(dt.timezone.utc))

    status, headers, body = fetch(link.url)

    assert status == 200
    assert hashlib.sha256(body).hexdigest() == artifact.sha256
    assert len(body) == artifact.size
    assert headers["Content-Disposition"] == f'attachment; filename="{artifact.file}"'
    assert headers["Content-Type"] == "application/gzip"


def test_a_missing_s3rver_fails_with_how_to_install_it(monkeypatch, tmp_path):
    """Never a skip: without s3rver the endpoint fixture raises this, and the tests that need it fail."""
    from . import endpoints

    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(endpoints.sys, "executable", str(tmp_path / "venv/bin/python"))
    monkeypatch.setattr(endpoints, "__file__", str(tmp_path / "repo/tests/endpoints.py"))
    with pytest.raises(RuntimeError, match=r"s3rver is not installed: `make test` installs it .*s3rver@3\.7\.1"):
        endpoints.s3rver_program()
