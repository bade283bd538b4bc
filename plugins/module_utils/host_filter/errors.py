# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The error every part of the host_filter language raises."""

from __future__ import annotations

__all__ = ['HostFilterError']


class HostFilterError(ValueError):
    """A host_filter that cannot be parsed or resolved.

    ``str(err)`` (and ``err.message``) is ``host_filter: <problem> at column
    <n>``; ``err.problem`` is the bare problem and ``err.position`` the
    1-based column (in code points) where it was found.
    """

    def __init__(self, message: str, position: int) -> None:
        self.problem = message
        self.position = position
        self.message = 'host_filter: %s at column %d' % (message, position)
        super().__init__(self.message)

    def __reduce__(self):
        return (type(self), (self.problem, self.position))



def shorten(text: str, limit: int = 40) -> str:
    """``text`` for an error message: long values are cut (a 4,400-digit value is not repeated)."""
    return text if len(text) <= limit else '%s... (%d characters)' % (text[:limit], len(text))
