"""The plugin's configuration in `mkdocs.yml`, declared once and validated by MkDocs itself.

Paths are MkDocs' own options (`c.Dir`, `c.File`), as `docs_dir` is: relative to mkdocs.yml, made
absolute by MkDocs, so they mean the same file whatever the working directory. Messages show them
as the maintainer wrote them (`relative`). They are not required to exist here: the loader reports a
missing customers file or releases directory at its line with the others (`extranet validate`).
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from mkdocs.config import base
from mkdocs.config import config_options as c

from .instants import parse_instant


class Instant(base.BaseConfigOption[dt.datetime]):
    """An ISO-8601 instant with a UTC offset: builds are reproducible only at a stated moment.

    `BaseConfigOption`, wrapped in `c.Optional` where it may be absent, as MkDocs' own options do
    (its `OptionallyRequired` base is soft-deprecated). The parsing is `instants.parse_instant`'s,
    shared with `--now`."""

    def run_validation(self, value: object) -> dt.datetime:
        if not isinstance(value, (str, dt.datetime)):
            raise base.ValidationError(f"expected an ISO-8601 instant, found {type(value).__name__}")
        try:
            return parse_instant(value)
        except ValueError as error:
            raise base.ValidationError(str(error)) from None


class StorageConfig(base.Config):
    backend = c.Choice(("local", "s3", "cloudfront"), default="local")
    """Where artifacts live: `local` (a directory on the web server's disk, outside the web root),
    `s3` (a bucket: AWS or any S3-compatible store) or `cloudfront` (a distribution before a bucket)."""
    link_lifetime = c.Type(int, default=3 * 24 * 3600)
    """Seconds a download link stays valid; the nightly rebuild renews them. At most 7 days on s3."""
    bucket = c.Type(str, default="")
    region = c.Type(str, default="eu-central-1")
    endpoint_url = c.Optional(c.Type(str))
    """An S3-compatible endpoint; none for AWS."""
    addressing_style = c.Choice(("auto", "virtual", "path"), default="auto")
    prefix = c.Type(str, default="")
    """Prepended to `<version>/<file>` in the bucket."""
    url = c.Type(str, default="")
    """cloudfront: the distribution's base URL."""
    key_pair_id_env = c.Type(str, default="EXTRANET_CLOUDFRONT_KEY_PAIR_ID")
    private_key_env = c.Type(str, default="EXTRANET_CLOUDFRONT_PRIVATE_KEY_FILE")
    root = c.Dir(default="releases/artifacts")
    """local: the directory holding `<version>/<file>`, relative to mkdocs.yml."""
    secret_env = c.Type(str, default="EXTRANET_DOWNLOAD_SECRET")
    """local: the environment variable holding the secret that signs download links (the web server
    holds the same); unset, a secret kept in ~/.config/extranet/download-secret is used."""
    check = c.Type(bool, default=True)
    """Refuse to build when a manifest names a file that is not in storage (turn off only offline)."""


class ServerConfig(base.Config):
    root = c.Type(str, default="/srv/extranet/current")
    """Where a deploy puts the build output on the host: `<root>/site` and `<root>/server`."""
    downloads = c.Type(str, default="/srv/extranet/downloads")
    """local storage: the directory on the host holding `<version>/<file>`, served under `downloads/`."""


class ExtranetConfig(base.Config):
    languages = c.ListOfItems(c.Type(str), default=["cs", "en"])
    """Site languages; the first is served at `/`, each other under `/<language>/`."""
    releases = c.Dir(default="releases")
    """Directory of release manifests, relative to mkdocs.yml."""
    customers = c.File(default="customers.yaml")
    """The vendor, support plans and customers, relative to mkdocs.yml."""
    templates = c.Dir(exists=False, default="site_templates")
    """The project's own templates, relative to mkdocs.yml: each file there (a page or server template,
    a theme override, texts in strings.yaml) replaces the packaged default of the same path; without
    the directory every default applies (see `extranet.resources`)."""
    storage = c.SubConfig(StorageConfig)
    server = c.SubConfig(ServerConfig)
    now = c.Optional(Instant())
    """The moment the build describes (support status, link expiry); `extranet build --now` sets it."""


def relative(path: str, root: Path) -> str:
    """A path option (absolute, as `c.Dir` and `c.File` give it) as the maintainer wrote it: relative
    to `root`, the folder of mkdocs.yml (`releases`, `../shared/customers.yaml`), `/`-separated."""
    return Path(os.path.relpath(path, root)).as_posix()
