"""Differential test: fleet.inventory.constructed gives the answers of ansible.builtin.constructed.

The same two input inventories live in a store and in files (YAML inventories, with the
facts in a jsonfile fact cache written through ansible's cache loader).  For every config
of the table, ``ansible-inventory -i in1.yml -i in2.yml -i constructed.yml --list --export
--limit L`` (the builtin) and ``ansible-inventory -i fleet.yml --list --export`` (this
collection's plugin with the same options and ``limit``) must print the same groups,
memberships, group vars and host vars (composed vars included), the meta vars
``awx_inventory_name``/``awx_inventory_id`` aside.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from ansible_collections.fleet.inventory.plugins.module_utils.rules.importer import import_inventory, unwrap_tagged
from ansible_collections.fleet.inventory.plugins.module_utils.store.core import Store

REPO = Path(__file__).resolve().parents[2]
ANSIBLE_INVENTORY = str(Path(sys.executable).parent / "ansible-inventory")
META = ("awx_inventory_name", "awx_inventory_id")

# -- the inputs: (name, all vars, hosts {name: vars}, groups {name: (vars, hosts, children)}, facts {host: facts})

IN1 = (
    "dc-east",
    {"env": "prod", "gv": "all-east", "region": "none"},
    {
        "host1": {"account_alias": "product_dev", "tags": ["web", "blue"], "os_label": "{{ ansible_distribution | default('none') }}-x"},
        "host2": {"account_alias": "product_dev", "state": "shutdown", "tags": ["web", ""]},
        "host3": {"account_alias": "sustaining", "gv": "host3-own", "tags": []},
        "host4": {"account_alias": "product_dev", "state": "running", "port": 5432},
        "host5": {"account_alias": "", "state": ""},
        "lonely": {"state": "shutdown", "account_alias": "nobody"},
    },
    {
        "platform": ({"tier": "platform", "gv": "platform"}, [], ["web"]),
        "east_only": ({"region": "east", "gv": "east"}, [], ["web", "db"]),
        "web": ({"gv": "web", "http_port": 80}, ["host1", "host2", "host3"], []),
        "db": ({"gv": "db"}, ["host4"], []),
        "empty_group": ({}, [], []),
    },
    {
        "host1": {"ansible_distribution": "Ubuntu", "ansible_memtotal_mb": 8000, "ansible_processor": ["0", "GenuineIntel"],
                  "ansible_default_ipv4": {"address": "10.0.0.1"}, "account_alias": "from-facts"},
        "host2": {"ansible_distribution": "Red Hat", "ansible_memtotal_mb": 2000, "ansible_processor": ["0", "AuthenticAMD"],
                  "ansible_default_ipv4": {"address": "192.168.1.2"}},
        "host3": {"ansible_distribution": "Debian", "ansible_memtotal_mb": 16000, "ansible_processor": ["0", "GenuineIntel"],
                  "ansible_default_ipv4": {}},
        "host4": {"ansible_distribution": "Ubuntu", "ansible_memtotal_mb": 64000, "ansible_processor": ["0", "GenuineIntel"],
                  "ansible_default_ipv4": {"address": "10.0.0.4"}, "state": "maintenance"},
    },
)

IN2 = (
    "dc-west",
    {"gv": "all-west", "west_var": 1},
    {
        "host3": {"account_alias": "product_dev", "state": "shutdown", "west_only_var": True},
        "host6": {"account_alias": "product_dev", "state": "shutdown"},
        "host7": {"account_alias": "sustaining", "state": "shutdown", "tags": ["db"]},
        "host8": {"account_alias": "product_dev"},
    },
    {
        "west_only": ({"region": "west", "gv": "west"}, [], ["web", "cache"]),
        "web": ({"http_port": 8080}, ["host3", "host6"], []),
        "cache": ({"gv": "cache"}, ["host7", "host8"], []),
    },
    {
        "host3": {"ansible_distribution": "Ubuntu", "ansible_memtotal_mb": 32000, "ansible_processor": ["0", "GenuineIntel"],
                  "ansible_default_ipv4": {"address": "10.1.0.3"}},
        "host6": {"ansible_distribution": "Debian", "ansible_memtotal_mb": 1000, "ansible_processor": ["0", "AuthenticAMD"],
                  "ansible_default_ipv4": {"address": "10.1.0.6"}},
        "host8": {"ansible_distribution": "Red Hat", "ansible_memtotal_mb": 4096, "ansible_processor": ["0", "GenuineIntel"],
                  "ansible_default_ipv4": {"address": "172.16.0.8"}},
    },
)
INPUTS = (IN1, IN2)

SEED = {
    "strict": True,
    "compose": {"resolved_state": 'state | default("running")'},
    "groups": {
        "shutdown": 'resolved_state == "shutdown"',
        "shutdown_in_product_dev": 'resolved_state == "shutdown" and account_alias == "product_dev"',
    },
}

# (id, options, limit)
CONFIGS = [
    ("seed", SEED, "shutdown_in_product_dev"),
    ("seed-no-limit", SEED, None),
    ("distro-keyed", {"keyed_groups": [{"prefix": "distro", "key": "ansible_distribution"}]}, None),
    ("keyed-default-value", {"keyed_groups": [{"prefix": "st", "key": 'state | default("")', "default_value": "unknown"}]}, None),
    ("keyed-trailing-separator-false", {"keyed_groups": [
        {"prefix": "acct", "key": '{"alias": account_alias | default("")}', "trailing_separator": False}]}, None),
    ("keyed-dict-default", {"keyed_groups": [
        {"key": '{"alias": account_alias | default("")}', "default_value": "none", "separator": "-"}]}, None),
    ("keyed-no-leading-separator", {"leading_separator": False, "keyed_groups": [{"key": "account_alias | default('')"}]}, None),
    ("keyed-leading-separator", {"keyed_groups": [{"key": "account_alias | default('x')"}]}, None),
    ("keyed-parent-group", {"keyed_groups": [
        {"prefix": "os", "key": "ansible_distribution", "parent_group": "operating_systems"},
        {"prefix": "acct", "key": "account_alias", "parent_group": "{{ region }}_accounts"}]}, None),
    ("keyed-list-default", {"keyed_groups": [{"prefix": "tag", "key": "tags | default([])", "default_value": "untagged"}]}, None),
    ("fact-groups", {"groups": {
        "big_memory": "ansible_memtotal_mb > 4000",
        "intel": "'GenuineIntel' in ansible_processor",
        "ten_net": "ansible_default_ipv4.address.startswith('10.')",
    }}, None),
    ("compose-facts", {"compose": {"ip": "ansible_default_ipv4.address | default('none')", "mem_gb": "ansible_memtotal_mb // 1000"},
                       "groups": {"private": "ip.startswith('10.') or ip.startswith('192.168.')"},
                       "keyed_groups": [{"prefix": "mem", "key": "mem_gb | string"}]}, None),
    ("facts-win-over-compose", {"compose": {"ansible_distribution": "'Overridden'", "state": "'composed'"},
                                "groups": {"overridden": "ansible_distribution == 'Overridden'", "composed_state": "state == 'composed'"}},
     None),
    ("group-var-precedence", {"compose": {"seen_gv": "gv", "seen_region": "region", "port_seen": "http_port | default(0)"},
                              "keyed_groups": [{"prefix": "gv", "key": "gv"}]}, None),
    ("templated-host-var", {"groups": {"labelled_ubuntu": "os_label is defined and os_label.startswith('Ubuntu')"},
                            "compose": {"label": "os_label | default('')"}}, None),
    ("non-strict-undefined", {"groups": {"broken": "undefined_thing == 1", "fine": "true"},
                              "compose": {"nope": "undefined_thing + 1", "yes": "1 + 1"}}, None),
    ("limit-intersection", SEED | {"keyed_groups": [{"prefix": "distro", "key": "ansible_distribution | default('unknown')"}]},
     "web:&east_only"),
    ("limit-exclusion", SEED, "web:!shutdown"),
    ("limit-wildcard-and-regex", SEED, "host1*:~host[6-7]"),
    ("limit-constructed-keyed", {"keyed_groups": [{"prefix": "distro", "key": "ansible_distribution"}]}, "distro_Ubuntu"),
    ("limit-all", {"groups": {"any": "true"}}, "all"),
]


def _yaml_inventory(inp):
    """The input as a YAML inventory file (the yaml plugin's format), with the groups nested as stored.

    A group is written in full under its first parent (or under ``all`` when it has none), named
    without a body under any other parent, so that only parentless groups are children of ``all``.
    """
    _name, all_vars, hosts, groups, _facts = inp
    first_parent = {}
    for gname, (_v, _h, gchildren) in groups.items():
        for child in gchildren:
            first_parent.setdefault(child, gname)

    def body(gname):
        gvars, ghosts, gchildren = groups[gname]
        out = {}
        if gvars:
            out["vars"] = gvars
        if ghosts:
            out["hosts"] = {h: None for h in ghosts}
        if gchildren:
            out["children"] = {c: body(c) if first_parent[c] == gname else None for c in gchildren}
        return out or None

    top = {g: body(g) for g in groups if g not in first_parent}
    return {"all": {"vars": all_vars, "hosts": hosts, "children": top}}


def _list_document(inp):
    """The input as an ``ansible-inventory --list`` document, for the importer."""
    _name, all_vars, hosts, groups, _facts = inp
    doc = {"all": {"vars": all_vars, "children": list(groups)}, "_meta": {"hostvars": hosts}}
    grouped = set()
    for gname, (gvars, ghosts, gchildren) in groups.items():
        doc[gname] = {"vars": gvars, "hosts": list(ghosts), "children": list(gchildren)}
        grouped.update(ghosts)
    doc["ungrouped"] = {"hosts": [h for h in hosts if h not in grouped]}
    return doc


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """The store, the input files and the fact cache, built once for the module."""
    base = tmp_path_factory.mktemp("constructed_diff")
    store_path = base / "store.db"
    cache_dir = base / "facts"
    files = []
    with Store.open(str(store_path)) as store:
        for inp in INPUTS:
            name = inp[0]
            store.save_inventory(name)
            import_inventory(store, name, _list_document(inp))
            ids = {h["name"]: h["id"] for h in store.list_hosts(name)}
            store.set_facts_many([(ids[h], facts) for h, facts in inp[4].items()])
            path = base / ("%s.yml" % name)
            path.write_text(yaml.safe_dump(_yaml_inventory(inp)))
            files.append(path)
    # the fact cache holds one document per host name: the last input's wins, as in the store's result
    facts = {}
    for inp in INPUTS:
        facts.update(inp[4])
    from ansible.plugins.loader import cache_loader

    cache = cache_loader.get("ansible.builtin.jsonfile", _uri=str(cache_dir), _timeout=0)
    for host, host_facts in facts.items():
        cache.set(host, host_facts)
    assert sorted(p.name for p in cache_dir.iterdir()) == sorted("s1_%s" % h for h in facts)
    env = dict(os.environ)
    env.update({
        "ANSIBLE_CACHE_PLUGIN": "ansible.builtin.jsonfile",
        "ANSIBLE_CACHE_PLUGIN_CONNECTION": str(cache_dir),
        "ANSIBLE_CACHE_PLUGIN_TIMEOUT": "0",
        "ANSIBLE_INVENTORY_UNPARSED_FAILED": "1",
        "ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED": "1",
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_COLLECTIONS_PATH": str(REPO / ".pytest_collections"),
        "FLEET_INVENTORY_STORE": str(store_path),
    })
    env.pop("ANSIBLE_CONFIG", None)
    return {"base": base, "files": files, "env": env, "store": str(store_path)}


def _start(argv, env, cwd):
    return subprocess.Popen([str(a) for a in argv], env=env, cwd=str(cwd), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, text=True)


def _finish(proc):
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, "%s\n--- stderr ---\n%s" % (" ".join(proc.args), err)
    return unwrap_tagged(json.loads(out))


def normalized(doc):
    """Groups (hosts and children sorted, vars) and host vars, meta vars aside."""
    groups = {}
    for name, body in doc.items():
        if name == "_meta":
            continue
        groups[name] = {
            "hosts": sorted(body.get("hosts") or []),
            "children": sorted(body.get("children") or []),
            "vars": body.get("vars") or {},
        }
    hostvars = {}
    for host, hvars in ((doc.get("_meta") or {}).get("hostvars") or {}).items():
        hostvars[host] = {k: v for k, v in hvars.items() if k not in META}
    return {"groups": groups, "hostvars": hostvars}


def run_both(world, name, options, limit, allow_failure=False):
    """Both outputs, parsed; with ``allow_failure`` a failure of both is ``(None, None)`` (agreement too)."""
    base = world["base"]
    builtin_cfg = base / ("%s.constructed.yml" % name)
    builtin_cfg.write_text(yaml.safe_dump(dict(options, plugin="ansible.builtin.constructed")))
    ours_cfg = base / ("%s.fleet.yml" % name)
    ours = dict(options, plugin="fleet.inventory.constructed", store=world["store"], input_inventories=[i[0] for i in INPUTS])
    if limit:
        ours["limit"] = limit
    ours_cfg.write_text(yaml.safe_dump(ours))
    argv = [ANSIBLE_INVENTORY]
    for path in world["files"]:
        argv += ["-i", path]
    argv += ["-i", builtin_cfg, "--list", "--export"]
    if limit:
        argv += ["--limit", limit]
    builtin = _start(argv, world["env"], base)
    mine = _start([ANSIBLE_INVENTORY, "-i", ours_cfg, "--list", "--export"], world["env"], base)
    if allow_failure:
        builtin_out, builtin_err = builtin.communicate(timeout=300)
        mine_out, mine_err = mine.communicate(timeout=300)
        assert (builtin.returncode == 0) == (mine.returncode == 0), "builtin rc %s: %s\nfleet rc %s: %s" % (
            builtin.returncode, builtin_err[-2000:], mine.returncode, mine_err[-2000:])
        if builtin.returncode:
            return None, None
        return unwrap_tagged(json.loads(builtin_out)), unwrap_tagged(json.loads(mine_out))
    return _finish(builtin), _finish(mine)


@pytest.mark.parametrize("name, options, limit", CONFIGS, ids=[c[0] for c in CONFIGS])
def test_same_answer_as_ansible_builtin_constructed(world, name, options, limit):
    builtin, mine = run_both(world, name, options, limit)
    expected, got = normalized(builtin), normalized(mine)
    assert got["groups"] == expected["groups"]
    assert got["hostvars"] == expected["hostvars"]
    # every host carries the input it came from (the last input that has it)
    for host, hvars in mine["_meta"]["hostvars"].items():
        came_from = [i[0] for i in INPUTS if host in i[2]][-1]
        assert hvars["awx_inventory_name"] == came_from
        assert isinstance(hvars["awx_inventory_id"], int)


def test_the_seed_selects_host2_and_host6_like_the_builtin(world):
    builtin, mine = run_both(world, "seed-check", SEED, "shutdown_in_product_dev")
    # host3 comes from West in the end (the later input wins): product_dev and shut down there
    assert sorted(mine["_meta"]["hostvars"]) == sorted(builtin["_meta"]["hostvars"]) == ["host2", "host3", "host6"]


STRICT_FAILURES = [
    ("strict-undefined-group", {"strict": True, "groups": {"broken": "undefined_thing == 1"}}, "groups.broken", "undefined_thing == 1"),
    ("strict-undefined-compose", {"strict": True, "compose": {"x": "undefined_thing + 1"}}, "compose.x", "undefined_thing + 1"),
    ("strict-missing-fact-key", {"strict": True, "keyed_groups": [{"prefix": "d", "key": "ansible_distribution"}]},
     "keyed_groups[0].key", "ansible_distribution"),
]


@pytest.mark.parametrize("name, options, option, expression", STRICT_FAILURES, ids=[c[0] for c in STRICT_FAILURES])
def test_strict_failures_fail_both_and_name_host_option_expression(world, name, options, option, expression):
    base = world["base"]
    builtin_cfg = base / ("%s.constructed.yml" % name)
    builtin_cfg.write_text(yaml.safe_dump(dict(options, plugin="ansible.builtin.constructed")))
    ours_cfg = base / ("%s.fleet.yml" % name)
    ours_cfg.write_text(yaml.safe_dump(dict(options, plugin="fleet.inventory.constructed", store=world["store"],
                                            input_inventories=[i[0] for i in INPUTS])))
    argv = [ANSIBLE_INVENTORY]
    for path in world["files"]:
        argv += ["-i", path]
    builtin = _start(argv + ["-i", builtin_cfg, "--list", "--export"], world["env"], base)
    mine = _start([ANSIBLE_INVENTORY, "-i", ours_cfg, "--list", "--export"], world["env"], base)
    _out, _err = builtin.communicate(timeout=300)
    assert builtin.returncode != 0
    _out, err = mine.communicate(timeout=300)
    assert mine.returncode != 0
    assert "host 'host" in err or "host 'lonely'" in err
    assert "%s (%s) failed" % (option, expression) in err
    assert str(ours_cfg) in err


# -- random keyed_groups configs (a bounded number of examples: each costs two ansible-inventory runs) --------

from hypothesis import HealthCheck, given, settings  # noqa: E402  pylint: disable=wrong-import-position
from hypothesis import strategies as st  # noqa: E402  pylint: disable=wrong-import-position

KEYS = ['account_alias | default("")', 'ansible_distribution | default("")', "tags | default([])",
        '{"st": state | default(""), "acct": account_alias | default("")}', 'state | default("")', "ansible_memtotal_mb | string"]


@st.composite
def keyed_entries(draw):
    entry = {"key": draw(st.sampled_from(KEYS))}
    prefix = draw(st.sampled_from([None, "", "k"]))
    if prefix is not None:
        entry["prefix"] = prefix
    separator = draw(st.sampled_from([None, "_", "-", ""]))
    if separator is not None:
        entry["separator"] = separator
    empty = draw(st.sampled_from(["none", "default_value", "trailing_true", "trailing_false"]))
    if empty == "default_value":
        entry["default_value"] = "empty"
    elif empty.startswith("trailing"):
        entry["trailing_separator"] = empty == "trailing_true"
    parent = draw(st.sampled_from([None, "parents", "{{ region }}_parents"]))
    if parent:
        entry["parent_group"] = parent
    return entry


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(entries=st.lists(keyed_entries(), min_size=1, max_size=3), leading=st.sampled_from([None, True, False]),
       limit=st.sampled_from([None, "all", "web", "web:!db", "host*", "~host[1-4]:&east_only"]))
def test_random_keyed_groups_match_the_builtin(world, entries, leading, limit):
    options = {"keyed_groups": entries, "compose": {"label": "account_alias | default('none')"}}
    if leading is not None:
        options["leading_separator"] = leading
    # a config ansible refuses (an empty group name, ...) must be refused by both
    builtin, mine = run_both(world, "random", options, limit, allow_failure=True)
    assert normalized(mine or {}) == normalized(builtin or {})
