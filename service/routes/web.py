# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The web page (docs/web.md): ``/`` and its static files under ``/web/``, shipped in ``service/web/``.

No authentication for these files (the page asks the API for its data with
the token the user signs in with); every answer carries a strict
Content-Security-Policy (scripts, styles and requests only from the service
itself, no inline script or style, no frames), ``X-Content-Type-Options:
nosniff`` and ``Referrer-Policy: no-referrer``.  Only the files of
``service/web/`` with a known type are served, listed once at import; any
other name is the API's 404.  Not in the OpenAPI description (they are not
the API).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import Response

from ansible_collections.fleet.inventory.service.errors import ApiError

router = APIRouter(tags=["web"])
WEB_DIR = Path(__file__).resolve().parent.parent / "web"
TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
}
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; font-src 'self'; "
       "object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-cache",
}


def _files() -> dict:
    """``{name: path}`` of the servable files of :data:`WEB_DIR`."""
    if not WEB_DIR.is_dir():
        return {}
    return {p.name: p for p in sorted(WEB_DIR.iterdir()) if p.is_file() and p.suffix in TYPES}


FILES = _files()


def _serve(name) -> Response:
    path = FILES.get(name)
    if path is None:
        raise ApiError(404, "The requested resource could not be found.")
    return Response(content=path.read_bytes(), media_type=TYPES[path.suffix], headers=HEADERS)


@router.get("/", include_in_schema=False)
def index():
    return _serve("index.html")


@router.get("/web/{name}", include_in_schema=False)
def static(name: str):
    return _serve(name)
