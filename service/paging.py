# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""AWX's list envelope: ``count``, ``next``, ``previous``, ``results``; ``page`` and ``page_size``.

``page_size`` defaults to :data:`DEFAULT_PAGE_SIZE` and may be at most
:data:`MAX_PAGE_SIZE`; ``page_size`` of 0, a negative one, or a ``page`` /
``page_size`` that is not an integer is 400 naming the parameter; a larger
``page_size`` is capped at the maximum as AWX does (tools written for AWX ask
for more and follow ``next``).  A ``page`` past the last one
is AWX's 404 ``{"detail": "Invalid page."}``; page 1 of an empty list is an
empty envelope.  ``next``/``previous`` are AWX's relative links: the request's
path and query with ``page`` replaced.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from fastapi import Request

from ansible_collections.fleet.inventory.service.errors import ApiError

DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 200
#: no store holds more rows than a signed 64-bit offset counts: a page past it is past the last page
_MAX_OFFSET = 2 ** 63 - 1
#: the query parameters paging owns (a list's field filters skip them)
PAGING_PARAMS = ("page", "page_size")


@dataclass(frozen=True)
class Page:
    """The page a request asks for."""

    page: int
    size: int

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.size


def _positive(request: Request, name, default, maximum=None) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise ApiError(400, body={name: ["A valid integer is required, not %r." % raw]}) from None
    if value <= 0:
        raise ApiError(400, body={name: ["Ensure this value is greater than or equal to 1 (got %d)." % value]})
    return min(value, maximum) if maximum is not None else value


def page_of(request: Request) -> Page:
    """The :class:`Page` of ``request`` (a FastAPI dependency); ApiError 400 for a bad parameter.

    A ``page`` whose offset no database integer holds is AWX's 404 ``Invalid page.``
    at once: no list is that long, and the store would refuse the offset.
    """
    page = Page(page=_positive(request, "page", 1), size=_positive(request, "page_size", DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE))
    if page.offset + page.size > _MAX_OFFSET:
        raise ApiError(404, "Invalid page.")
    return page


def _link(request: Request, page: int) -> str:
    query = [(k, v) for k, v in request.query_params.multi_items() if k != "page"]
    query.append(("page", str(page)))
    return "%s?%s" % (request.url.path, urlencode(query))


def envelope(request: Request, page: Page, count: int, results: list) -> dict:
    """The AWX list body; ApiError 404 ``Invalid page.`` when ``page`` is past the last page."""
    if page.page > 1 and page.offset >= count:
        raise ApiError(404, "Invalid page.")
    return {
        "count": count,
        "next": _link(request, page.page + 1) if page.offset + page.size < count else None,
        "previous": _link(request, page.page - 1) if page.page > 1 else None,
        "results": results,
    }


def whole(results: list) -> dict:
    """A one-page envelope of ``results`` (``/api/v2/me/``, small fixed lists)."""
    return {"count": len(results), "next": None, "previous": None, "results": results}
