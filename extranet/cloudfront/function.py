"""The viewer-request CloudFront Function and its KeyValueStore's data (skeleton: the edge work fills it)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from extranet.access import Principal, Table
    from extranet.loading import Extranet

CODE = "viewer-request.js"
"""The function's code, under the target's directory."""
DATA = "kvs.json"
"""The KeyValueStore's data (CloudFront's import format), under the target's directory."""


def files(extranet: Extranet, table: Table, people: Sequence[Principal], templates: Path, base: str) -> dict[str, str]:
    """The function's code and its KeyValueStore's data, by path under the server directory."""
    return {f"cloudfront/{CODE}": "", f"cloudfront/{DATA}": '{"data": []}\n'}
