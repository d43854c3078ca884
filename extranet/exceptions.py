"""One base for every error a maintainer is meant to read: `ExtranetError`.

Each module raises its own subclass where it knows what went wrong (`loading.InvalidInput`,
`building.BuildFailed`, `deploying.DeployFailed`, `credentials.EditRefused`, ...); the command line
catches `ExtranetError` once, in `cli.main`, and prints the message after the command's name with
the exit status the class carries. So a command raises and never prints-and-returns, and a new
error needs no new `except` anywhere.

Modelled on `mkdocs/exceptions.py`: a small hierarchy, the message is the whole explanation.
Rejected: subclassing MkDocs' `MkDocsException` (a click exception that prints itself; the
commands here are argparse's and several never run MkDocs), and error codes or an enum of
messages (the messages are written where the fact is known, and tests hold them exactly).

Errors from libraries at the boundary (botocore's `NoCredentialsError`, `ClientError`, ...) are
translated into subclasses where they are raised (`storage`; `syncing` and the CloudFront deploy
through `aws_errors`), so nothing above those modules knows botocore's exception types.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

NO_AWS_CREDENTIALS = "no AWS credentials (set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)"
"""What every AWS call says when botocore finds no credentials."""


class ExtranetError(Exception):
    """A failure a maintainer can act on; the message says what and, where known, where.

    `exit_status` is the command's exit status when this error ends it (1 unless a subclass
    says otherwise); `file` and `line` locate the problem when it has one place."""

    exit_status: int = 1

    def __init__(self, message: str = "", *, file: str | None = None, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.file = file
        self.line = line

    def format(self) -> str:
        """The message as printed: `file:line: message`, `file: message` or just the message."""
        if self.file is None:
            return self.message
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {self.message}"

    def __str__(self) -> str:
        return self.format()

    def __reduce__(self) -> tuple[object, ...]:
        """Pickled as it is (a build's worker processes send errors back): no `__init__` runs again,
        so subclasses that take other arguments (`InvalidInput`'s problems) come back whole."""
        return _rebuilt, (type(self), self.args, self.__dict__)


def _rebuilt(cls: type[ExtranetError], args: tuple[object, ...], state: dict[str, object]) -> ExtranetError:
    error = cls.__new__(cls, *args)
    error.args = args
    error.__dict__.update(state)
    return error


@contextlib.contextmanager
def aws_errors(failure: type[ExtranetError], where: str) -> Iterator[None]:
    """botocore's exceptions as `failure`, with `where` (a bucket, a service) and botocore's message,
    so that no caller needs to know botocore's types."""
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

    try:
        yield
    except NoCredentialsError:
        raise failure(NO_AWS_CREDENTIALS) from None
    except (BotoCoreError, ClientError) as error:
        raise failure(f"{where}: {error}") from None


class UsageError(ExtranetError):
    """The command was called with options that cannot go together; nothing was done."""

    exit_status = 2


class CommandRefused(ExtranetError):
    """A command that cannot do what was asked of it (an unknown plan, no build to serve, ...)."""
