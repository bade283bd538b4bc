#!/usr/bin/env bash
# Put the awx.awx collection (AWX's own client modules and the awx.awx.controller inventory plugin) under
# .awx_collections/ansible_collections/awx/awx, for the tests that prove AWX's tools work against the service.
# It comes from the `ansible` package on PyPI (which bundles it); only that collection is unpacked, so the
# venv's newer ansible-core stays.  Idempotent: nothing is downloaded when it is there already.
#
# Environment: PYTHON (default .venv/bin/python), ANSIBLE_PACKAGE (default ansible==12.3.0: awx.awx 24.6.1).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEST="$ROOT/.awx_collections"
PY="${PYTHON:-$ROOT/.venv/bin/python}"
PACKAGE="${ANSIBLE_PACKAGE:-ansible==12.3.0}"

if [ -f "$DEST/ansible_collections/awx/awx/plugins/inventory/controller.py" ]; then
    exit 0
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$PY" -m pip download --quiet --no-deps --dest "$work" "$PACKAGE" >&2
wheel="$(ls "$work"/ansible-*.whl)"
mkdir -p "$DEST"
"$PY" - "$wheel" "$DEST" <<'PYEOF'
import sys
import zipfile

wheel, dest = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(wheel) as archive:
    members = [m for m in archive.namelist() if m.startswith("ansible_collections/awx/awx/")]
    archive.extractall(dest, members)
print("awx.awx: %d files under %s" % (len(members), dest), file=sys.stderr)
PYEOF
