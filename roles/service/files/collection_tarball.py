#!/usr/bin/env python
# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection tarball the role installs, and its MANIFEST.json (run on the controller).

    collection_tarball.py SOURCE OUTDIR

SOURCE is a collection tarball, a source directory with galaxy.yml (built with
``ansible-galaxy collection build`` into OUTDIR) or an installed collection
directory with MANIFEST.json (packed into OUTDIR).  Prints one JSON object:
``{"tarball": PATH, "manifest": {...}}``.  MANIFEST.json hashes FILES.json, which
hashes every file, so two tarballs of the same files have equal manifests
however often they are built: the role compares it with the installed one.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile

EXPECTED = ("fleet", "inventory")
SKIP_DIRS = {"__pycache__", ".git", ".venv", ".pytest_collections", ".pytest_cache"}


def fail(msg):
    sys.stderr.write("collection_tarball.py: %s\n" % msg)
    sys.exit(1)


def build(source, outdir):
    """``ansible-galaxy collection build`` of a source directory, with the Python running this script."""
    proc = subprocess.run([sys.executable, "-m", "ansible.cli.galaxy", "collection", "build", "--force",
                           "--output-path", outdir, source], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        fail("ansible-galaxy collection build %s failed: %s" % (source, (proc.stderr or proc.stdout).strip()))
    built = [os.path.join(outdir, n) for n in os.listdir(outdir) if n.endswith(".tar.gz")]
    if len(built) != 1:
        fail("ansible-galaxy collection build %s left %d tarballs in %s" % (source, len(built), outdir))
    return built[0]


def pack(source, outdir):
    """A tarball of an installed collection directory (its MANIFEST.json and FILES.json included)."""
    tarball = os.path.join(outdir, "installed-collection.tar.gz")

    def skip(info):
        parts = info.name.split("/")
        return None if SKIP_DIRS.intersection(parts) or info.name.endswith(".pyc") else info

    with tarfile.open(tarball, "w:gz") as tar:
        for name in sorted(os.listdir(source)):
            tar.add(os.path.join(source, name), arcname=name, filter=skip)
    return tarball


def read_manifest(tarball):
    try:
        with tarfile.open(tarball, "r:gz") as tar:
            for name in ("MANIFEST.json", "./MANIFEST.json"):
                try:
                    member = tar.getmember(name)
                except KeyError:
                    continue
                handle = tar.extractfile(member)
                if handle is not None:
                    return json.loads(handle.read().decode("utf-8"))
    except (OSError, tarfile.TarError, ValueError) as exc:
        fail("cannot read %s: %s" % (tarball, exc))
    fail("%s holds no MANIFEST.json: not a built collection" % tarball)
    return None


def main(argv):
    if len(argv) != 3:
        fail("usage: collection_tarball.py SOURCE OUTDIR")
    source, outdir = os.path.realpath(argv[1]), argv[2]
    if os.path.isfile(source):
        tarball = source
    elif os.path.isfile(os.path.join(source, "galaxy.yml")):
        tarball = build(source, outdir)
    elif os.path.isfile(os.path.join(source, "MANIFEST.json")):
        tarball = pack(source, outdir)
    else:
        fail("%s is neither a collection tarball nor a directory with galaxy.yml or MANIFEST.json" % source)
    manifest = read_manifest(tarball)
    info = manifest.get("collection_info") or {}
    if (info.get("namespace"), info.get("name")) != EXPECTED:
        fail("%s is the collection %s.%s, not %s.%s" % (source, info.get("namespace"), info.get("name"), *EXPECTED))
    json.dump({"tarball": tarball, "manifest": manifest}, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv)
