"""The login function (AWS Lambda) and the files it is packaged with (skeleton: the login work fills it)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from extranet.access import Principal
    from extranet.loading import Extranet

ACCOUNTS = "login/accounts.json"
"""The login function's password hashes, under the target's directory: a credential file (0600)."""


def files(extranet: Extranet, people: Sequence[Principal], templates: Path, base: str) -> dict[str, str]:
    """The login function's code and data, by path under the server directory."""
    return {}
