"""Storage backends: where artifacts live and how a page gets a link to one.

Pages never build download URLs themselves; they ask the configured backend for a `Link`: a URL
and the instant it expires. The local backend keeps artifacts in a directory outside the web root,
which the web server maps under `downloads/` and where it checks each link's signature; the
object-storage backends presign URLs for S3 (SigV4) or CloudFront (a canned policy).
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import datetime as dt
import functools
import hashlib
import os
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Literal, Protocol, cast
from urllib.parse import quote

from .atomic import write_atomically
from .content_types import content_type
from .exceptions import NO_AWS_CREDENTIALS, ExtranetError
from .model import Artifact, Release

if TYPE_CHECKING:
    from types_boto3_s3 import S3Client  # stubs only (test extras): boto3 builds its clients at run time

    from .config import StorageConfig


@dataclasses.dataclass(frozen=True)
class Link:
    url: str
    """Absolute (scheme and host) or relative to the site root (no leading slash)."""
    expires: dt.datetime | None = None


class Storage(Protocol):
    def exists(self, release: Release, artifact: Artifact) -> bool: ...

    def link(self, release: Release, artifact: Artifact, now: dt.datetime) -> Link: ...


def object_key(release: Release, artifact: Artifact) -> str:
    """One layout for every backend: `<version>/<file>`."""
    return f"{release.version}/{artifact.file}"


# --- Publishing: what each backend holds and how a file gets there ------------------------------


class StorageError(ExtranetError):
    """An operation on the storage failed; the message says what and where, for the maintainer."""


Progress = Callable[[int], object]
"""Called with the number of bytes just transferred, for a progress bar (what it returns is ignored:
tqdm's `update` returns whether it redrew)."""


class Publishable(Protocol):
    """What `extranet publish` needs of a backend; each backend does it in its own class."""

    def stored_sha256(self, release: Release, artifact: Artifact) -> str | None: ...

    def holds(self, release: Release, artifact: Artifact, source: Path) -> bool: ...

    def upload(
        self, release: Release, artifact: Artifact, source: Path, sha256: str, progress: Progress | None = None
    ) -> None: ...

    def describe(self, release: Release, artifact: Artifact) -> str: ...


CHUNK = 1024 * 1024


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


@dataclasses.dataclass(frozen=True)
class LocalStorage:
    """Artifacts in a directory on the web server's disk, outside the web root, served under `downloads/`.

    Links carry an expiry and a signature that the web server itself verifies (nginx's `secure_link`,
    the same check in Apache's mod_lua): the base64url MD5 of `<expires><path> <secret>`. The path
    is in the signature, so a link opens only the file it names; the secret is shared by the build
    (which signs) and the server (which checks), and is never written into the build."""

    root: Path
    lifetime: int = 3 * 24 * 3600
    secret: str = dataclasses.field(default="", repr=False)
    prefix: str = "downloads/"
    base: str = "/"
    """The site's path on the server: the signature covers the path the server sees."""

    def path(self, release: Release, artifact: Artifact) -> Path:
        return self.root / object_key(release, artifact)

    def stored_sha256(self, release: Release, artifact: Artifact) -> str | None:
        """The sha256 of the file in storage, None if there is none."""
        path = self.path(release, artifact)
        try:
            return file_sha256(path) if path.is_file() else None
        except OSError as error:
            raise StorageError(f"cannot read {path}: {error.strerror}") from None

    def holds(self, release: Release, artifact: Artifact, source: Path) -> bool:
        """Whether `source` is the stored file itself (the storage root is the source directory)."""
        path = self.path(release, artifact)
        with contextlib.suppress(OSError):
            return path.is_file() and os.path.samefile(path, source)
        return False

    def upload(
        self, release: Release, artifact: Artifact, source: Path, sha256: str, progress: Progress | None = None
    ) -> None:
        """Copy `source` in atomically: readers see the old file or the whole new one, never a part.

        `sha256` is the already verified digest; a file system keeps no metadata to store it in."""
        target = self.path(release, artifact)

        def chunks(stream: BinaryIO) -> Iterator[bytes]:
            while chunk := stream.read(CHUNK):
                yield chunk
                if progress:
                    progress(len(chunk))

        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            with source.open("rb") as stream:
                write_atomically(target, chunks(stream), permissions=0o644, suffix=".part")
        except OSError as error:
            raise StorageError(f"cannot write {target}: {error.strerror}") from None

    def describe(self, release: Release, artifact: Artifact) -> str:
        return str(self.path(release, artifact))

    def exists(self, release: Release, artifact: Artifact) -> bool:
        return self.path(release, artifact).is_file()

    def link(self, release: Release, artifact: Artifact, now: dt.datetime) -> Link:
        expires = now + dt.timedelta(seconds=self.lifetime)
        key = object_key(release, artifact)
        return Link(f"{self.prefix}{quote(key)}?{self.signature(self.base + self.prefix + key, expires)}", expires)

    def signature(self, path: str, expires: dt.datetime) -> str:
        """The query that makes `path` (as the server sees it, percent-decoded) valid until `expires`."""
        if not self.secret:
            raise LinkError("the local backend signs download links with a secret: none is set")
        stamp = int(expires.timestamp())
        digest = hashlib.md5(f"{stamp}{path} {self.secret}".encode(), usedforsecurity=False).digest()
        return f"md5={base64.urlsafe_b64encode(digest).decode().rstrip('=')}&expires={stamp}"


DOWNLOAD_SECRET_ENV = "EXTRANET_DOWNLOAD_SECRET"  # noqa: S105 (a variable's name)


def download_secret(env: str = DOWNLOAD_SECRET_ENV) -> str:
    """The secret of local download links: from `$env` (CI, the server host), else a file of this
    user's (`$XDG_CONFIG_HOME/extranet/download-secret`), made once, so that a build on a fresh
    machine works and stays byte-identical from one run to the next."""
    value = os.environ.get(env, "")
    if value:
        if len(value) < MIN_SECRET:
            raise LinkError(
                f"${env} must hold at least {MIN_SECRET} characters (it holds {len(value)}); "
                f"make one with: {MAKE_SECRET}"
            )
        return value
    home = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    path = home / "extranet" / "download-secret"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileExistsError):
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "w") as file:
                file.write(secrets.token_urlsafe(48) + "\n")
    value = path.read_text(encoding="utf-8").strip()
    if len(value) < MIN_SECRET:
        raise LinkError(
            f"{path} must hold at least {MIN_SECRET} characters (it holds {len(value)}); "
            f"make one with: {MAKE_SECRET} > {path}"
        )
    return value


MIN_SECRET = 32
"""Characters a secret that signs links or sessions needs at least; an empty one would let anyone sign."""
MAKE_SECRET = "python3 -c 'import secrets; print(secrets.token_urlsafe(48))'"  # noqa: S105 (a command)


MAX_S3_LIFETIME = 7 * 24 * 3600
"""SigV4 presigned URLs live at most seven days."""


class LinkError(ExtranetError, ValueError):
    """A link that cannot be made, with the reason for the maintainer."""


@contextlib.contextmanager
def _signing_clock(now: dt.datetime) -> Iterator[None]:
    """Sign as of `now`: botocore reads the time in one function and offers no parameter for it.

    Both signers read it: botocore's own and, with AWS's CRT installed (`botocore[crt]`, for the
    CloudFront KeyValueStore), the CRT's, which botocore then uses for S3 and which holds its own
    reference to the function."""
    import botocore.auth
    import botocore.crt.auth

    utc = now.astimezone(dt.UTC)
    modules: list[Any] = [botocore.auth, botocore.crt.auth]  # the stubs leave out the helper patched here
    originals = [module.get_current_datetime for module in modules]
    for module in modules:
        module.get_current_datetime = lambda remove_tzinfo=True: utc.replace(tzinfo=None) if remove_tzinfo else utc
    try:
        yield
    finally:
        for module, original in zip(modules, originals, strict=True):
            module.get_current_datetime = original


def _boto_error(error: BaseException) -> str:
    """`NoSuchBucket: The specified bucket does not exist (HTTP 404)` rather than botocore's long
    sentence; boto3's transfer manager wraps the ClientError it got, so look inside."""
    from botocore.exceptions import ClientError, NoCredentialsError

    cause = error
    while not isinstance(cause, (ClientError, NoCredentialsError)) and (cause.__cause__ or cause.__context__):
        cause = cast("BaseException", cause.__cause__ or cause.__context__)  # the condition saw one
    if isinstance(cause, NoCredentialsError):
        return NO_AWS_CREDENTIALS
    if not isinstance(cause, ClientError):
        return str(error)
    details = cause.response.get("Error", {})
    status = cause.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    text = ": ".join(part for part in (details.get("Code"), details.get("Message")) if part) or str(cause)
    return f"{text} (HTTP {status})" if status else text


@dataclasses.dataclass(frozen=True)
class S3Storage:
    """Artifacts in an S3 bucket (AWS or any S3-compatible store); links are SigV4 presigned GETs.

    Credentials come from the standard AWS environment (never from the repository)."""

    bucket: str
    region: str
    lifetime: int
    endpoint_url: str | None = None
    addressing_style: Literal["auto", "virtual", "path"] = "auto"
    prefix: str = ""

    def __post_init__(self) -> None:
        if not 0 < self.lifetime <= MAX_S3_LIFETIME:
            raise LinkError(f"link lifetime {self.lifetime} s is beyond SigV4's limit of {MAX_S3_LIFETIME} s (7 days)")

    def key(self, release: Release, artifact: Artifact) -> str:
        return self.prefix + object_key(release, artifact)

    @functools.cached_property
    def _client(self) -> S3Client:
        """One client per backend for a whole run (a build's checks and links, a publish): making
        one costs tens of milliseconds, and a build asks once per artifact and per link."""
        return self.client()

    def stored_sha256(self, release: Release, artifact: Artifact) -> str | None:
        """The sha256 recorded in the object's metadata (`x-amz-meta-sha256`) by `upload`; None if
        there is no object, "" if there is one without it (it was put there some other way)."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            head = self._client.head_object(Bucket=self.bucket, Key=self.key(release, artifact))
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise StorageError(f"{self.describe(release, artifact)}: {_boto_error(error)}") from None
        except BotoCoreError as error:
            raise StorageError(f"{self.describe(release, artifact)}: {_boto_error(error)}") from None
        return head.get("Metadata", {}).get("sha256", "")

    def holds(self, release: Release, artifact: Artifact, source: Path) -> bool:
        return False

    def upload(
        self, release: Release, artifact: Artifact, source: Path, sha256: str, progress: Progress | None = None
    ) -> None:
        """Put the object with its Content-Type and its sha256 in `x-amz-meta-sha256`, which
        `stored_sha256` reads back; boto3's transfer manager goes multipart for big files."""
        from boto3.exceptions import S3UploadFailedError
        from botocore.exceptions import BotoCoreError, ClientError

        extra = {"ContentType": content_type(artifact.file), "Metadata": {"sha256": sha256}}
        try:
            self._client.upload_file(
                str(source), self.bucket, self.key(release, artifact), ExtraArgs=extra, Callback=progress
            )
        except (BotoCoreError, ClientError, S3UploadFailedError, OSError) as error:
            raise StorageError(f"{self.describe(release, artifact)}: {_boto_error(error)}") from None

    def describe(self, release: Release, artifact: Artifact) -> str:
        return f"s3://{self.bucket}/{self.key(release, artifact)}"

    def client(self) -> S3Client:
        import boto3
        from botocore.config import Config

        # A session of its own: boto3's default session would keep credentials across uses.
        return boto3.session.Session().client(
            "s3",
            region_name=self.region,
            endpoint_url=self.endpoint_url,
            config=Config(signature_version="s3v4", s3={"addressing_style": self.addressing_style}),
        )

    def exists(self, release: Release, artifact: Artifact) -> bool:
        from botocore.exceptions import ClientError

        try:
            self._client.head_object(Bucket=self.bucket, Key=self.key(release, artifact))
        except ClientError:
            return False
        return True

    def link(self, release: Release, artifact: Artifact, now: dt.datetime) -> Link:
        return Link(
            self.presign(self.key(release, artifact), now, artifact.file), now + dt.timedelta(seconds=self.lifetime)
        )

    def presign(self, key: str, now: dt.datetime, filename: str | None = None) -> str:
        """A GET of `key`, valid from `now` for the lifetime; saved under `filename`."""
        params = {"Bucket": self.bucket, "Key": key}
        if filename:
            params["ResponseContentDisposition"] = f'attachment; filename="{filename}"'
        from botocore.exceptions import NoCredentialsError

        try:
            with _signing_clock(now):
                return self._client.generate_presigned_url("get_object", Params=params, ExpiresIn=self.lifetime)
        except NoCredentialsError as error:
            raise LinkError(_boto_error(error)) from None


@dataclasses.dataclass(frozen=True)
class CloudFrontStorage:
    """Artifacts behind a CloudFront distribution; links are signed URLs with a canned policy.

    The key pair id and the private key file are named by environment variables, so no secret is
    ever in the repository or in mkdocs.yml."""

    url: str
    """The distribution's base URL, e.g. https://downloads.example.com/."""
    lifetime: int
    key_pair_id: str
    private_key: bytes
    origin: S3Storage | None = None
    """The bucket behind the distribution, to check that artifacts exist."""

    def exists(self, release: Release, artifact: Artifact) -> bool:
        return self.origin.exists(release, artifact) if self.origin is not None else True

    def _bucket(self) -> S3Storage:
        """Publishing goes to the bucket behind the distribution."""
        if self.origin is None:
            raise StorageError(
                "cloudfront: publishing needs the distribution's origin bucket (storage.bucket in mkdocs.yml)"
            )
        return self.origin

    def stored_sha256(self, release: Release, artifact: Artifact) -> str | None:
        return self._bucket().stored_sha256(release, artifact)

    def holds(self, release: Release, artifact: Artifact, source: Path) -> bool:
        return False

    def upload(
        self, release: Release, artifact: Artifact, source: Path, sha256: str, progress: Progress | None = None
    ) -> None:
        self._bucket().upload(release, artifact, source, sha256, progress)

    def describe(self, release: Release, artifact: Artifact) -> str:
        return self._bucket().describe(release, artifact)

    def link(self, release: Release, artifact: Artifact, now: dt.datetime) -> Link:
        expires = now + dt.timedelta(seconds=self.lifetime)
        resource = self.url.rstrip("/") + "/" + quote(object_key(release, artifact))
        return Link(self.sign(resource, expires), expires)

    def sign(self, resource: str, expires: dt.datetime) -> str:
        from botocore.signers import CloudFrontSigner
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import padding, rsa

        key = serialization.load_pem_private_key(self.private_key, password=None)
        if not isinstance(key, rsa.RSAPrivateKey):
            raise LinkError(f"cloudfront: the private key is {type(key).__name__}; CloudFront signs with RSA keys only")
        sha1 = hashes.SHA1()  # noqa: S303 (CloudFront's signed URLs are RSA-SHA1 by its specification)
        signer = CloudFrontSigner(self.key_pair_id, lambda message: key.sign(message, padding.PKCS1v15(), sha1))
        return signer.generate_presigned_url(resource, date_less_than=expires.astimezone(dt.UTC))


def from_config(root: Path, options: StorageConfig, base: str = "/") -> LocalStorage | S3Storage | CloudFrontStorage:
    """The backend `mkdocs.yml` configures, with paths relative to `root` (the config's folder).

    `base`: the path the site is served under (`servers.base_path`), which local links are signed for."""
    if options.backend == "local":
        return LocalStorage(root / options.root, options.link_lifetime, download_secret(options.secret_env), base=base)
    bucket = (
        S3Storage(
            options.bucket,
            options.region,
            options.link_lifetime,
            options.endpoint_url,
            cast("Literal['auto', 'virtual', 'path']", options.addressing_style),  # a c.Choice of these
            options.prefix,
        )
        if options.bucket
        else None
    )
    if options.backend == "s3":
        if bucket is None:
            raise LinkError("storage: the s3 backend needs a bucket")
        return bucket
    if options.backend == "cloudfront":
        key_file = os.environ.get(options.private_key_env, "")
        key_pair = os.environ.get(options.key_pair_id_env, "")
        if not key_file or not key_pair:
            raise LinkError(
                f"storage: cloudfront needs ${options.key_pair_id_env} and ${options.private_key_env} "
                f"(a key pair id and the path of its private key file) in the environment"
            )
        return CloudFrontStorage(options.url, options.link_lifetime, key_pair, Path(key_file).read_bytes(), bucket)
    raise ValueError(f"unknown storage backend '{options.backend}'")
