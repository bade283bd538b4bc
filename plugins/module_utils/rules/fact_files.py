# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading per-host fact files, and finding stored hosts by name in bulk.

Used by the ``host_facts`` module.  A facts directory may hold, one file per host:

* ``<host>`` or ``<host>.json``: a JSON object, the host's facts (what AWX's fact
  cache directory and ansible-core before 2.19's ``jsonfile`` cache hold);
  a setup module result (``ansible -m setup --tree DIR``), that is an object with
  an ``ansible_facts`` mapping, counts as those facts;
* ``s<N>_<host>``: ansible-core 2.19+'s ``jsonfile`` fact cache, an object
  ``{"__payload__": "<JSON text>"}`` whose payload keeps data tags as
  ``{"__ansible_type": ..., "value": ...}`` wrappers; the tags are dropped and
  dates become ISO-8601 strings.  Only schema ``s1`` is known.

Hidden files (``.name``) and sub-directories are ignored.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import re

from ansible_collections.fleet.inventory.plugins.module_utils.errors import ValidationError
from ansible_collections.fleet.inventory.plugins.module_utils.store.hosts import by_names

PAYLOAD_KEY = "__payload__"
TYPE_KEY = "__ansible_type"
KNOWN_CACHE_SCHEMAS = ("1",)
_CACHE_NAME = re.compile(r"^s(\d+)_(.+)$")
#: fact files read (and written to the store) at a time by bulk loads
BATCH_SIZE = 2000


def untag(value, where="facts"):
    """A plain JSON value from ansible's cache-persistence encoding (tags dropped)."""
    if isinstance(value, dict):
        if TYPE_KEY in value:
            if "value" in value:  # tagged str/int/list/dict/..., vaulted strings (kept encrypted)
                return untag(value["value"], where)
            if "iso8601" in value:  # date, time, datetime
                return value["iso8601"]
            raise ValidationError("%s: cannot read a value of ansible type '%s'" % (where, value[TYPE_KEY]))
        return {k: untag(v, where) for k, v in value.items()}
    if isinstance(value, list):
        return [untag(v, where) for v in value]
    return value


def read_fact_file(path):
    """``(host, facts)`` for one file of a facts directory; :class:`ValidationError` when unreadable."""
    name = os.path.basename(path)
    try:
        with open(path, "rb") as handle:
            text = handle.read().decode("utf-8")
        data = json.loads(text)
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ValidationError("fact file %s cannot be read as JSON: %s" % (path, exc)) from exc
    if not isinstance(data, dict):
        raise ValidationError("fact file %s does not hold a JSON object but %s" % (path, type(data).__name__))
    if PAYLOAD_KEY in data:
        match = _CACHE_NAME.match(name)
        if not match:
            raise ValidationError(
                "fact file %s holds an ansible fact cache entry, but its name does not start with the cache's"
                " schema prefix s<N>_ (a fact_caching_prefix is not supported)" % path)
        schema, host = match.groups()
        if schema not in KNOWN_CACHE_SCHEMAS:
            raise ValidationError("fact file %s uses ansible fact cache schema s%s; only s%s is understood"
                                  % (path, schema, ", s".join(KNOWN_CACHE_SCHEMAS)))
        payload = data[PAYLOAD_KEY]
        try:
            facts = json.loads(payload) if isinstance(payload, str) else payload
        except ValueError as exc:
            raise ValidationError("fact file %s: its __payload__ is not JSON: %s" % (path, exc)) from exc
        facts = untag(facts, "fact file %s" % path)
    else:
        host = name[:-len(".json")] if name.endswith(".json") else name
        facts = data.get("ansible_facts") if isinstance(data.get("ansible_facts"), dict) else data
    if not isinstance(facts, dict):
        raise ValidationError("fact file %s does not hold a mapping of facts" % path)
    if not host:
        raise ValidationError("fact file %s does not name a host" % path)
    return host, facts


def fact_file_paths(directory):
    """The paths of the fact files of ``directory``, by name (hidden files and sub-directories left out)."""
    if not os.path.isdir(directory):
        raise ValidationError("facts_dir %s is not a directory" % directory)
    try:
        names = sorted(os.listdir(directory))
    except OSError as exc:
        raise ValidationError("facts_dir %s cannot be listed: %s" % (directory, exc.strerror or exc)) from exc
    paths = []
    for name in names:
        path = os.path.join(directory, name)
        if not name.startswith(".") and os.path.isfile(path):
            paths.append(path)
    return paths


def iter_facts_dir(directory, batch_size=BATCH_SIZE):
    """Batches (lists) of ``(host, facts, path)`` for the fact files of ``directory``, in name order.

    Reading in batches keeps only one batch of parsed facts in memory; a host
    named by two files is a :class:`ValidationError` when the second is read.
    """
    seen: dict = {}
    batch = []
    for path in fact_file_paths(directory):
        host, facts = read_fact_file(path)
        if host in seen:
            raise ValidationError("facts for host '%s' come from two files: %s and %s; keep one" % (host, seen[host], path))
        seen[host] = path
        batch.append((host, facts, path))
        if len(batch) >= batch_size:
            yield batch
            batch = []
    if batch:
        yield batch


def read_facts_dir(directory):
    """``{host: (facts, path)}`` for every fact file of ``directory`` (see the module docstring)."""
    with gc_paused():
        return {host: (facts, path) for batch in iter_facts_dir(directory) for host, facts, path in batch}


@contextlib.contextmanager
def gc_paused():
    """Run the block with Python's cyclic garbage collector off (restored after).

    Parsed facts are millions of small containers without reference cycles:
    every full collection walks all of them, which made reading a large facts
    directory several times slower and superlinear.  Reference counting still
    frees each batch as soon as it is dropped.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def hosts_by_name(store, names, inventory=None):
    """``{name: [host rows]}`` for the stored hosts called any of ``names`` (lowest id first).

    See :func:`store.hosts.by_names` (the store's query; kept here under its old name).
    """
    return by_names(store, names, inventory)
