#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: host_facts
short_description: Set, merge or clear the cached facts of hosts in the fleet.inventory store
version_added: 0.1.0
author:
  - fleet.inventory contributors (@fleet-inventory)
description:
  - Stores C(ansible_facts) for hosts of the fleet.inventory store, where fact search
    (C(ansible_facts__...) terms of a host_filter) finds them.
  - Either for one host by name (O(host)), with the facts given in O(facts);
    or in bulk from a directory of per-host fact files (O(facts_dir)), all in one transaction.
  - As AWX does, facts are merged per host by default; the top-level keys given replace or
    add to the stored ones. C(ansible_facts_modified) of a host moves only when its facts really change.
extends_documentation_fragment:
  - fleet.inventory.store
options:
  host:
    description:
      - Name of the host whose facts are set or cleared.
      - Without O(inventory), every stored host of that name, in any inventory, gets the facts (as the
        fact cache does). It is an error when no such host exists.
      - One of O(host) and O(facts_dir) is required.
    type: str
  inventory:
    description:
      - Restrict the hosts to this inventory, which must exist.
      - With O(host), the host must exist in this inventory.
    type: str
  facts:
    description:
      - The facts of O(host), as a mapping or a YAML or JSON string holding a mapping.
      - Required with O(host) when O(state=present).
    type: raw
  merge:
    description:
      - V(true) merges the top-level keys of the new facts into the stored ones (AWX's behaviour);
        V(false) replaces the stored facts by exactly the new ones.
    type: bool
    default: true
  facts_dir:
    description:
      - A directory of per-host fact files to load in bulk, one transaction for all of them.
      - A file V(<host>) or V(<host>.json) holds a JSON object of the host's facts (AWX's fact cache
        directory, ansible-core's C(jsonfile) fact cache before 2.19); an object with an C(ansible_facts)
        mapping (the output of C(ansible -m setup --tree DIR)) counts as those facts.
      - "A file V(s1_<host>) holding C({\"__payload__\": \"<JSON text>\"}) is an entry of ansible-core 2.19+'s
        C(jsonfile) fact cache (point this option at its C(fact_caching_connection)); data tags are dropped and
        dates become ISO-8601 strings."
      - Hidden files and sub-directories are ignored. A file that cannot be read, or two files for the
        same host, is an error and nothing is written.
      - Files whose host is not stored (in O(inventory) when given) are listed in RV(unknown_hosts) and
        skipped, unless O(strict=true).
    type: path
  strict:
    description:
      - With O(facts_dir), fail (writing nothing) when a file names a host that is not stored, instead of
        skipping it.
    type: bool
    default: false
  state:
    description:
      - V(present) stores the facts; V(absent) clears every fact of O(host).
      - V(absent) cannot be used with O(facts_dir).
    type: str
    choices: [present, absent]
    default: present
attributes:
  check_mode:
    description: Can run in check mode and report what would change without writing to the store.
    support: full
  diff_mode:
    description: Returns the facts before and after the change of each host whose facts change.
    support: full
notes:
  - With O(facts_dir), the diff can be large; it holds only the hosts whose facts change.
seealso:
  - module: fleet.inventory.host_info
  - module: fleet.inventory.host
"""

EXAMPLES = r"""
- name: Merge facts into a host of one inventory
  fleet.inventory.host_facts:
    host: web1.example.com
    inventory: production
    facts:
      ansible_distribution: Debian
      role: frontend

- name: Give the facts a play gathered to every stored host of this name
  fleet.inventory.host_facts:
    host: "{{ inventory_hostname }}"
    facts: "{{ ansible_facts }}"
    merge: false

- name: Clear the facts of a host
  fleet.inventory.host_facts:
    host: web1.example.com
    inventory: production
    state: absent

- name: Load ansible's jsonfile fact cache (fact_caching_connection) into the store
  fleet.inventory.host_facts:
    facts_dir: /var/cache/ansible/facts
  run_once: true
  register: loaded

- name: Show what was loaded
  ansible.builtin.debug:
    msg: "{{ loaded.counts.updated }} hosts updated; not stored: {{ loaded.unknown_hosts | join(', ') }}"
"""

RETURN = r"""
hosts:
  description: The stored hosts given facts (or cleared) with O(host); each with C(changed) telling whether its facts changed.
  returned: when O(host) is given
  type: list
  elements: dict
  sample:
    - id: 12
      name: web1.example.com
      inventory: production
      inventory_id: 1
      changed: true
      ansible_facts_modified: '2025-01-01T10:00:00.000000+00:00'
counts:
  description:
    - With O(facts_dir), what the load did. C(files) counts the fact files read;
      C(updated) and C(unchanged) count stored hosts (a name stored in two inventories counts twice);
      C(unknown) counts the host names that are not stored.
  returned: when O(facts_dir) is given
  type: dict
  sample:
    files: 3
    updated: 2
    unchanged: 0
    unknown: 1
updated_hosts:
  description: With O(facts_dir), the names of the hosts whose facts changed (or would change, in check mode).
  returned: when O(facts_dir) is given
  type: list
  elements: str
  sample: [web1.example.com, web2.example.com]
unknown_hosts:
  description: With O(facts_dir), the names of the fact files' hosts that are not stored; their facts were skipped.
  returned: when O(facts_dir) is given
  type: list
  elements: str
  sample: [localhost]
"""

from ansible_collections.fleet.inventory.plugins.module_utils.common import load_mapping
from ansible_collections.fleet.inventory.plugins.module_utils.errors import NotFound, ValidationError
from ansible_collections.fleet.inventory.plugins.module_utils.rules.fact_files import fact_file_paths, gc_paused, hosts_by_name, iter_facts_dir
from ansible_collections.fleet.inventory.plugins.module_utils.module import FleetModule, argument_spec


def _label(row):
    return "%s/%s" % (row["inventory"], row["name"])


def set_one(store, p, want_diff):
    """Set (or clear) the facts of the hosts called ``host``."""
    facts = None if p["state"] == "absent" else load_mapping(p["facts"], "facts")
    rows = hosts_by_name(store, [p["host"]], p["inventory"]).get(p["host"], [])
    if not rows:
        if p["inventory"] is not None:
            raise NotFound("host '%s' does not exist in inventory '%s'" % (p["host"], p["inventory"]))
        raise NotFound("no host named '%s' is stored in any inventory" % p["host"])
    ids = [r["id"] for r in rows]
    before = store.facts_for_hosts(ids) if want_diff else {}
    if facts is None:
        changed = {r["id"] for r in rows if store.clear_facts(r["id"])}
    else:
        changed = set(store.set_facts_many([(i, facts) for i in ids], merge=p["merge"]))
    after = store.facts_for_hosts(sorted(changed)) if want_diff else {}
    stamps = {r["id"]: r["ansible_facts_modified"] for r in hosts_by_name(store, [p["host"]], p["inventory"]).get(p["host"], [])}
    hosts = [dict(id=r["id"], name=r["name"], inventory=r["inventory"], inventory_id=r["inventory_id"],
                  changed=r["id"] in changed, ansible_facts_modified=stamps.get(r["id"])) for r in rows]
    diff = _diff(rows, changed, before, after)
    return bool(changed), diff, dict(hosts=hosts)


def load_dir(store, p, batches, want_diff):
    """Load the fact files' facts for the stored hosts of those names, batch by batch.

    ``batches`` yields lists of ``(host, facts, path)`` (:func:`iter_facts_dir`);
    the caller's transaction makes the whole load one change (a bad file
    later on rolls back what the batches before it wrote).
    """
    files, unknown, rows, changed = 0, [], [], set()
    before, after = {}, {}
    strict_failed = False
    with gc_paused():  # millions of parsed containers, none in a cycle
        for batch in batches:
            files += len(batch)
            docs = {host: facts for host, facts, _path in batch}
            found = hosts_by_name(store, list(docs), p["inventory"])
            missing = [name for name in docs if name not in found]
            unknown.extend(missing)
            if missing and p["strict"]:
                strict_failed = True
            if strict_failed:  # keep reading: every bad file and unknown host is reported
                continue
            batch_rows = [row for name in sorted(found) for row in found[name]]
            items = [(row["id"], docs[row["name"]]) for row in batch_rows]
            del docs, batch
            if want_diff:
                before.update(store.facts_for_hosts([i for i, _f in items]))
            batch_changed = store.set_facts_many(items, merge=p["merge"])
            del items
            changed.update(batch_changed)
            if want_diff:
                after.update(store.facts_for_hosts(sorted(batch_changed)))
            rows.extend(batch_rows)
    unknown.sort()
    if strict_failed:
        raise ValidationError("strict: %d fact file(s) name hosts that are not stored%s: %s" % (
            len(unknown), " in inventory '%s'" % p["inventory"] if p["inventory"] is not None else "", ", ".join(unknown)))
    rows.sort(key=lambda row: (row["name"], row["id"]))
    result = dict(
        counts=dict(files=files, updated=len(changed), unchanged=len(rows) - len(changed), unknown=len(unknown)),
        updated_hosts=sorted({row["name"] for row in rows if row["id"] in changed}),
        unknown_hosts=unknown,
    )
    return bool(changed), _diff(rows, changed, before, after), result


def _diff(rows, changed, before, after):
    """``{"before": {"inv/host": facts}, "after": {...}}`` for the hosts that changed."""
    return dict(before={_label(r): before.get(r["id"], {}) for r in rows if r["id"] in changed},
                after={_label(r): after.get(r["id"], {}) for r in rows if r["id"] in changed})


def main(task_class=FleetModule):
    """Run the module; the collection's action plugin passes its in-process task class (plugin_utils/store_action.py)."""
    module = task_class(
        argument_spec(
            host=dict(type="str"),
            inventory=dict(type="str"),
            facts=dict(type="raw"),
            merge=dict(type="bool", default=True),
            facts_dir=dict(type="path"),
            strict=dict(type="bool", default=False),
            state=dict(type="str", choices=["present", "absent"], default="present"),
        ),
        required_one_of=[("host", "facts_dir")],
        mutually_exclusive=[("host", "facts_dir"), ("facts", "facts_dir")],
    )
    p = module.params
    if p["host"] is not None and p["state"] == "present" and p["facts"] is None:
        module.fail_json(msg="facts is required to set the facts of host '%s' (state=absent clears them)" % p["host"])
    if p["facts_dir"] is not None and p["state"] == "absent":
        module.fail_json(msg="state=absent clears the facts of one host; it cannot be used with facts_dir")

    if p["facts_dir"] is not None:
        module.guard(fact_file_paths, p["facts_dir"])  # a missing directory fails before the store is opened
    store = module.store
    want_diff = module._diff

    def apply():
        # one transaction: a bad file anywhere in facts_dir fails the task with nothing written
        with store.transaction(dry_run=module.check_mode):
            if p["facts_dir"] is None:
                return set_one(store, p, want_diff)
            return load_dir(store, p, iter_facts_dir(p["facts_dir"]), want_diff)

    changed, diff, result = module.guard(apply)
    if want_diff:
        result["diff"] = diff
    module.exit_json(changed=changed, **result)


if __name__ == "__main__":
    main()
