"""Constants of the browser tests (a plain module: ``conftest`` is ambiguous when tests/service runs too)."""

from __future__ import annotations

DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
HOSTILE = '<img src=x onerror="window.__pwned=1">'
