"""Exceptions that carry a one-line, user-facing message.

The CLI turns these into `tfdeblur: error: <message>` and exit code 2; library users can catch them
(they subclass ValueError, so code that already catches ValueError keeps working).
"""

import errno

# A write that failed for want of room (full disk, quota, file-size limit) or on a read-only file system:
# the user's machine, not a bug, and the same for every file that follows.
DISK_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS})


class InputError(ValueError):
    """Bad user input: an unreadable image, an invalid kernel, an unknown method, a missing model."""


def warn(message: str) -> None:
    """A one-line warning on stderr (`tfdeblur: warning: ...`), for things a user should know but that
    do not stop the run (e.g. images left out of an evaluation)."""
    import sys

    print(f"tfdeblur: warning: {message}", file=sys.stderr)
