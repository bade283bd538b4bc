# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""AWX's inventory script document (``GET /api/v2/inventories/{id}/script/``), what ``awx.awx.controller`` reads.

The shape is AWX's ``Inventory.get_script_data``: ``{"all": {"hosts": [...],
"children": [...], "vars": {...}}, "<group>": {"hosts", "children", "vars"},
"_meta": {"hostvars": {...}}}``.

- A normal or constructed inventory (a constructed one holds its
  materialized result, see rules.constructed): its groups, each with its
  hosts, children and variables (empty parts left out, a group with none of
  them not listed but still a child of ``all``); ``all`` lists the hosts in no
  group and every group as a child.
- A smart inventory: its hosts (its filter, one host per name) under ``all``;
  it has no groups (AWX's smart inventories have none).
- ``all`` hosts (``show_all``), else only the enabled ones; ``hostvars``
  adds ``_meta.hostvars``; ``towervars`` adds ``remote_tower_enabled``
  ("true"/"false") and ``remote_tower_id`` to each host's variables.
"""

from __future__ import annotations

import json

from ansible_collections.fleet.inventory.plugins.module_utils.store import search
from ansible_collections.fleet.inventory.plugins.module_utils.store.constructed_inputs import input_content


def _vars(text) -> dict:
    if not text or text == "{}":
        return {}
    return json.loads(text) if isinstance(text, str) else dict(text)


def script_data(store, inventory, hostvars=False, towervars=False, show_all=False) -> dict:
    """The script document of ``inventory`` (a row dict with ``id``, ``kind``, ``host_filter``)."""
    data: dict = {}
    content = input_content(store, inventory["id"])
    all_group = data.setdefault("all", {})
    inv_vars = _vars(content["variables"] if content else None)
    if inv_vars:
        all_group["vars"] = inv_vars
    if inventory.get("kind") == "smart":
        rows = search.matching_hosts(store, inventory["host_filter"], columns="h.id, h.name, h.enabled, h.variables",
                                     one_per_name=True).fetchall()
        hosts = [(hid, name, bool(enabled), vtext) for hid, name, enabled, vtext, *_rank in rows]
        hosts = [h for h in hosts if show_all or h[2]]
        all_group["hosts"] = [h[1] for h in hosts]
    else:
        hosts = sorted((h for h in content["hosts"] if show_all or h[2]), key=lambda h: (h[1], h[0]))
        names = {h[0]: h[1] for h in hosts}
        group_names = {gid: name for gid, name, _v in content["groups"]}
        members: dict = {}
        grouped = set()
        for gid, hid in content["group_hosts"]:
            if hid in names:
                members.setdefault(gid, []).append(names[hid])
                grouped.add(hid)
        children: dict = {}
        for parent, child in content["children"]:
            children.setdefault(parent, []).append(group_names[child])
        all_group["hosts"] = [h[1] for h in hosts if h[0] not in grouped]
        every = []
        for gid, name, vtext in sorted(content["groups"], key=lambda g: (g[1], g[0])):
            info = {}
            if gid in members:
                info["hosts"] = sorted(members[gid])
            if gid in children:
                info["children"] = sorted(children[gid])
            gvars = _vars(vtext)
            if gvars:
                info["vars"] = gvars
            if info:
                data[name] = info
            every.append(name)
        if every:
            all_group["children"] = every
    if hostvars:
        meta = data.setdefault("_meta", {}).setdefault("hostvars", {})
        for hid, name, enabled, vtext in hosts:
            hvars = _vars(vtext)
            if towervars:
                hvars.update(remote_tower_enabled=str(bool(enabled)).lower(), remote_tower_id=hid)
            meta[name] = hvars
    return data
