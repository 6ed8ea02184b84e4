"""Exceptions that carry a one-line, user-facing message.

The CLI turns these into `tfdeblur: error: <message>` and exit code 2; library users can catch them
(they subclass ValueError, so code that already catches ValueError keeps working).
"""


class InputError(ValueError):
    """Bad user input: an unreadable image, an invalid kernel, an unknown method, a missing model."""


def warn(message: str) -> None:
    """A one-line warning on stderr (`tfdeblur: warning: ...`), for things a user should know but that
    do not stop the run (e.g. images left out of an evaluation)."""
    import sys

    print(f"tfdeblur: warning: {message}", file=sys.stderr)
