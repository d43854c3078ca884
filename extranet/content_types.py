"""The Content-Type of a file by its name: one table for artifacts in storage and the web root on S3.

Web servers answer with their own MIME tables; these types are the ones this product stores with
an object (`extranet publish` to s3/cloudfront, `extranet deploy --s3`), where nothing else decides.

Python's own table (`mimetypes.MimeTypes()`, not the host's /etc/mime.types, so that the same file
gets the same type on every machine), with the additions it lacks or gets wrong for this product:
installers, web fonts, source maps, feeds, calendars, and `.js` as `text/javascript` (RFC 9239;
Python 3.11 still says `application/javascript`).

A compressed file (`.tar.gz`, `sitemap.xml.gz`) is its compression's type, never the inner type
with `Content-Encoding`: that encoding makes browsers and `curl --compressed` unpack the download,
and its sha256 would no longer match the manifest. Rejected: two tables, one per caller (storage
and syncing had them, and they disagreed on `.tar.xz`, installers and fonts).
"""

from __future__ import annotations

import mimetypes
import posixpath

__all__ = ["content_type"]

_TABLE = mimetypes.MimeTypes()
"""Python's own table only: the same everywhere."""

_ADDED = {
    # Installers and packages: Python's table has none of them (or a generic one).
    ".msi": "application/x-msi",
    ".exe": "application/vnd.microsoft.portable-executable",
    ".deb": "application/vnd.debian.binary-package",
    ".rpm": "application/x-rpm",
    ".dmg": "application/x-apple-diskimage",
    ".jar": "application/java-archive",
    # The theme's assets and the generated files of the web root.
    ".js": "text/javascript",
    ".map": "application/json",
    ".webmanifest": "application/manifest+json",
    ".woff2": "font/woff2",
    ".woff": "font/woff",
    ".ttf": "font/ttf",
    ".atom": "application/atom+xml",
    ".ics": "text/calendar",
}

_COMPRESSED = {
    "gzip": "application/gzip",
    "bzip2": "application/x-bzip2",
    "xz": "application/x-xz",
    "compress": "application/x-compress",
    "br": "application/x-brotli",
}
"""`mimetypes`' encodings, as the type of the compressed file itself."""

_TEXT = {"application/json", "application/manifest+json", "application/xml", "application/atom+xml", "image/svg+xml"}
"""Types that are text though not `text/*`: they take a charset."""


def content_type(name: str, *, charset: str | None = None) -> str:
    """The Content-Type of the file `name` (a file name or a path; only its last part counts).

    With `charset`, a text type says it (`text/html; charset=utf-8`): pass it only for files known
    to be in that encoding, as MkDocs writes the web root; an artifact's bytes are the vendor's."""
    name = posixpath.basename(name)
    suffix = posixpath.splitext(name)[1].lower()
    kind, encoding = _TABLE.guess_type(name, strict=False)
    if encoding:
        return _COMPRESSED.get(encoding, "application/octet-stream")
    kind = _ADDED.get(suffix) or kind or "application/octet-stream"
    if charset and (kind.startswith("text/") or kind in _TEXT):
        return f"{kind}; charset={charset}"
    return kind
