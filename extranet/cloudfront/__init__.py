"""The fourth target: the private extranet served by CloudFront, with no server to run.

The build writes `server/cloudfront/` beside the nginx, Apache and Caddy files, from the same
decisions: `access.table` (the rules), `access.principals` (who may log in), `servers.safe_next`,
`servers.login_page`, `servers.dummy_hash` and `servers.SESSION_LIFETIME`. Nothing here is written by
hand for one site.

- `function`: the viewer-request CloudFront Function (cloudfront-js-2.0) and its KeyValueStore's
  data: the rule table and who is who, the session checked on every request at the edge.
- `login`: the login function (AWS Lambda behind the distribution) and the files it is packaged with.
- `stack`: the CloudFormation template (private bucket with Origin Access Control, distribution,
  function and KeyValueStore, login function, error pages, WAF rate limit on the login).
- `deploy`: `extranet deploy --cloudfront STACK`.

Rejected: Lambda@Edge for every request (a cold start and a regional round trip on each page, where a
CloudFront Function runs in the edge location in under a millisecond), and signed cookies of
CloudFront's own (they carry a policy per path prefix, not the rule table, and no logout).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from extranet import access

from . import function, login, stack

if TYPE_CHECKING:
    from extranet.access import Area
    from extranet.loading import Extranet

DIRECTORY = "cloudfront"
"""The target's directory under the server directory (`build/server/cloudfront/`)."""


def render(extranet: Extranet, areas: Iterable[Area], templates: Path, base: str) -> dict[str, str]:
    """Every file of the CloudFront target, by its path under the server directory."""
    table = access.table(areas)
    people = access.principals(extranet)
    files = {
        **function.files(extranet, table, people, templates, base),
        **login.files(extranet, people, templates, base),
    }
    files[f"{DIRECTORY}/{stack.FILE}"] = stack.text(extranet, base, files[f"{DIRECTORY}/{function.CODE}"], templates)
    return files
