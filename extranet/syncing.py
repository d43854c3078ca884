"""The web root on object storage, for hosting behind a CDN: upload what changed, delete what is gone.

Only `site/` goes to the bucket, never `server/` (credential hashes, configurations). A bucket
enforces no login: every object is readable by whoever has its URL, so a site with pages for
customers or staff only is refused unless the caller says something in front of the bucket
enforces access (`allow_private`); the product's promise is that one customer's pages reach
nobody else.

What changed is decided by the MD5 of the content against the object's ETag from the listing:
for a single-part upload without SSE-KMS, S3's ETag is the MD5 of the bytes, and every object here
is uploaded in one part (`put_object`, with Content-MD5 so S3 refuses a corrupted upload). One
listing request per 1,000 objects decides everything; no HEAD per object. An object whose ETag is
no MD5 (multipart, or SSE-KMS encrypted: its ETag is opaque) is simply uploaded again, which is
correct, only slower. A change of content type or cache policy alone is not detected: the bytes
decide.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from . import access, access_record
from .content_types import content_type
from .exceptions import ExtranetError, aws_errors

if TYPE_CHECKING:
    from types_boto3_s3 import S3Client  # stubs only (test extras): boto3 builds its clients at run time

_FINGERPRINTED = re.compile(r"\.[0-9a-f]{8,}\.(?:min\.)?[a-z0-9]+$")
"""Theme assets whose name carries a hash of their content (`main.6f8fc17f.min.css`)."""

CACHE_IMMUTABLE = "public, max-age=31536000, immutable"
"""Fingerprinted assets: a new content gets a new name, so a cached copy never goes stale."""
CACHE_REVALIDATE = "public, max-age=0, must-revalidate"
"""Pages, the search index, the sitemap, feeds, calendars: a rebuild changes them under the same URL."""
CACHE_ASSET = "public, max-age=86400"
"""Other assets (images, fonts): they rarely change; a day of staleness is harmless."""
CACHE_PRIVATE = "private, no-store"
"""Objects served as the answer to protected URLs (the CloudFront target's error pages): no cache
keeps them, as the servers' private headers say."""


class SyncRefused(ExtranetError):
    """The sync did not start; the message says why. The bucket is untouched."""


class SyncFailed(ExtranetError):
    """The bucket refused or could not be reached (botocore's errors, translated here); the message
    says what it answered. What was uploaded or deleted before stays so: a run again finishes it."""


@dataclass
class SyncResult:
    uploaded: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    unchanged: int = 0


def cache_control(path: str, no_store: Collection[str] = ()) -> str:
    """The Cache-Control stored with the object of `path`; `no_store`: paths served at protected URLs."""
    if path in no_store:
        return CACHE_PRIVATE
    name = path.rsplit("/", 1)[-1]
    if _FINGERPRINTED.search(name):
        return CACHE_IMMUTABLE
    if content_type(path) in (
        "text/html",
        "application/json",
        "text/xml",
        "application/xml",
        "text/plain",
        "application/gzip",
        "application/atom+xml",
        "text/calendar",
    ):
        return CACHE_REVALIDATE
    return CACHE_ASSET


def private_files(output: Path) -> list[str]:
    """Web root files that are not public, by the build's own access rules (`server/access.json`)."""
    try:
        rules = access_record.read(output).areas
    except access_record.NoBuild as error:
        raise SyncRefused(str(error)) from None
    return [path for path in _files(output / "site") if access.area_of(path, rules).audience != access.PUBLIC]


def _files(site: Path) -> list[str]:
    return sorted(path.relative_to(site).as_posix() for path in site.rglob("*") if path.is_file())


def sync(
    output: Path,
    bucket: str,
    *,
    prefix: str = "",
    endpoint_url: str | None = None,
    region: str | None = None,
    allow_private: bool = False,
    no_store: Collection[str] = (),
    dry_run: bool = False,
    client: S3Client | None = None,
) -> SyncResult:
    """Make `s3://bucket/prefix` hold exactly the web root `output/site`; the paths in `no_store`
    with `CACHE_PRIVATE`."""
    import boto3

    site = output / "site"
    if not site.is_dir():
        raise SyncRefused(f"{output} holds no build (no site/); run `extranet build`")
    private = private_files(output)
    if private and not allow_private:
        raise SyncRefused(
            f"{site} has {len(private)} file(s) for customers or staff only (e.g. {private[0]}); a bucket serves "
            f"every object to anyone with its URL, so they would be public. Deploy with --target behind nginx, "
            f"Apache or Caddy, or pass --allow-private if something in front of the bucket enforces the logins"
        )
    if prefix and not prefix.endswith("/"):
        prefix += "/"
    with aws_errors(SyncFailed, f"s3://{bucket}"):
        s3 = client or boto3.client("s3", endpoint_url=endpoint_url, region_name=region)
        return _transfer(s3, site, bucket, prefix, no_store, dry_run)


def _transfer(
    s3: S3Client, site: Path, bucket: str, prefix: str, no_store: Collection[str], dry_run: bool
) -> SyncResult:
    """Upload what differs, then delete what is gone."""
    remote: dict[str, str] = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            remote[item["Key"]] = item["ETag"].strip('"')
    result = SyncResult()
    local = _files(site)
    # Assets before pages, so no page that is already new refers to an asset not yet there.
    for path in sorted(local, key=lambda p: (content_type(p) == "text/html", p)):
        data = (site / path).read_bytes()
        digest = hashlib.md5(data, usedforsecurity=False)
        key = prefix + path
        if remote.get(key) == digest.hexdigest():
            result.unchanged += 1
            continue
        result.uploaded.append(key)
        if not dry_run:
            s3.put_object(
                Bucket=bucket,
                Key=key,
                Body=data,
                ContentType=content_type(path, charset="utf-8"),
                CacheControl=cache_control(path, no_store),
                ContentMD5=base64.b64encode(digest.digest()).decode(),
            )
    wanted = {prefix + path for path in local}
    result.deleted = sorted(key for key in remote if key not in wanted)
    for start in range(0, len(result.deleted), 1000) if not dry_run else ():
        batch = result.deleted[start : start + 1000]
        answer = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": key} for key in batch], "Quiet": True})
        if answer.get("Errors"):
            error = answer["Errors"][0]
            raise SyncRefused(f"s3://{bucket}/{error['Key']}: not deleted: {error.get('Message', error.get('Code'))}")
    return result
