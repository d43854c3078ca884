"""The CloudFormation template of the CloudFront target (skeleton: the stack work fills it)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from extranet.loading import Extranet

FILE = "template.json"
"""The template, under the target's directory."""


def text(extranet: Extranet, base: str, function_code: str) -> str:
    """The template as JSON text."""
    return "{}\n"
