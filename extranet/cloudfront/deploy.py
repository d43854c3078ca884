"""`extranet deploy --cloudfront STACK` (skeleton: the deploy work fills it)."""

from __future__ import annotations
