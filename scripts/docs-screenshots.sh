#!/usr/bin/env bash
# Regenerate the screenshots of docs/web.md: run the browser tests' screenshot test (tests/browser, a real service
# over a seeded SQLite store, Debian's chromium through Playwright), which writes tests/output/screenshots/, then
# copy those PNGs into docs/images/web/ (committed). `--copy-only` copies what the last test run left.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="$ROOT/.venv/bin/python"
SRC="$ROOT/tests/output/screenshots"
DEST="$ROOT/docs/images/web"
if [ "${1:-}" != "--copy-only" ]; then
    rm -rf "$SRC"
    (cd "$ROOT" && FLEET_TEST_BACKEND=sqlite FLEET_TEST_BROWSER_REQUIRED=1 "$PY" -m pytest -q -p no:cacheprovider \
        tests/browser/test_web_page.py -k screenshots)
fi
shopt -s nullglob
shots=("$SRC"/*.png)
if [ ${#shots[@]} -eq 0 ]; then
    echo "docs-screenshots: no screenshots in $SRC (run without --copy-only)" >&2
    exit 1
fi
mkdir -p "$DEST"
rm -f "$DEST"/*.png
cp "${shots[@]}" "$DEST"/
echo "docs-screenshots: ${#shots[@]} screenshots copied to ${DEST#"$ROOT"/}"
