# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The inventory import engine against a temporary SQLite store."""

from __future__ import annotations

import copy
import json
import os
import stat
import textwrap

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.fleet.inventory.plugins.module_utils.rules import importer
from ansible_collections.fleet.inventory.plugins.module_utils.errors import InventorySourceError, NotFound, ValidationError
from ansible_collections.fleet.inventory.plugins.module_utils.rules.importer import import_inventory, load_inventory_source
from ansible_collections.fleet.inventory.plugins.module_utils.store.core import Store

TABLES = ("inventories", "hosts", "groups", "group_hosts", "group_children", "host_facts", "fact_keys")


@pytest.fixture
def store(store_target):
    s = Store(store_target)
    s.save_inventory("inv", variables={"keep": "me"})
    yield s
    s.close()


def dump(store):
    """Every row of every content table, for byte-for-byte comparisons."""
    out = {}
    for table in TABLES:
        out[table] = sorted(tuple(r) for r in store.execute("SELECT * FROM %s" % table).fetchall())
    return out


def hosts(store, inventory="inv"):
    return {h["name"]: h for h in store.list_hosts(inventory)}


def groups(store, inventory="inv"):
    return {g["name"]: g for g in store.list_groups(inventory)}


def doc(groups_=None, hostvars=None, all_vars=None, ungrouped=None):
    """An ansible-inventory --list --export document."""
    groups_ = groups_ or {}
    data = {"_meta": {"hostvars": hostvars or {}, "profile": "inventory_legacy"},
            "all": {"children": ["ungrouped"] + sorted(groups_)}}
    if all_vars:
        data["all"]["vars"] = all_vars
    if ungrouped:
        data["ungrouped"] = {"hosts": list(ungrouped)}
    for name, body in groups_.items():
        data[name] = body
    return data


BASIC = doc(
    groups_={
        "web": {"hosts": ["w1", "w2"], "children": ["web_eu"], "vars": {"http_port": 80}},
        "web_eu": {"hosts": ["w3"]},
        "db": {"hosts": ["d1", "w1"], "vars": {"engine": "pg"}},
    },
    hostvars={"w1": {"ansible_host": "10.0.0.1"}, "w3": {"zone": "eu"}, "lonely": {"x": 1}},
    all_vars={"ntp": "pool.ntp.org"},
    ungrouped=["lonely"],
)


def imp(store, data, inventory="inv", **kw):
    return import_inventory(store, inventory, copy.deepcopy(data), **kw)


def write(path, text, executable=False):
    path.write_text(textwrap.dedent(text))
    if executable:
        path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


# -- the basics ---------------------------------------------------------------------------


def test_first_import(store):
    res = imp(store, BASIC)
    assert res["hosts"] == {"added": 5, "updated": 0, "removed": 0, "unchanged": 0}
    assert res["groups"] == {"added": 3, "updated": 0, "removed": 0, "unchanged": 0}
    assert res["group_hosts"] == {"added": 5, "removed": 0}
    assert res["group_children"] == {"added": 1, "removed": 0}
    assert res["total_hosts"] == 5 and res["total_groups"] == 3
    assert res["changed"] is True and res["inventory_variables_changed"] is True

    h = hosts(store)
    assert sorted(h) == ["d1", "lonely", "w1", "w2", "w3"]
    assert h["w1"]["variables"] == {"ansible_host": "10.0.0.1"}
    assert h["lonely"]["variables"] == {"x": 1}
    assert all(x["enabled"] and x["instance_id"] == "" and x["description"] == "imported" for x in h.values())
    g = groups(store)
    assert g["web"]["hosts"] == ["w1", "w2"] and g["web"]["children"] == ["web_eu"]
    assert g["web"]["variables"] == {"http_port": 80} and g["web"]["description"] == "imported"
    assert g["db"]["hosts"] == ["d1", "w1"]
    assert store.get_host("inv", "lonely")["groups"] == []
    assert store.get_host("inv", "w1")["groups"] == ["db", "web"]
    # 'all' variables merge into the inventory's own
    assert store.get_inventory("inv")["variables"] == {"keep": "me", "ntp": "pool.ntp.org"}


def test_reimport_is_zero_writes(store):
    imp(store, BASIC)
    before = dump(store)
    changes = store.conn.total_changes
    res = imp(store, BASIC)
    assert res["changed"] is False
    assert res["hosts"] == {"added": 0, "updated": 0, "removed": 0, "unchanged": 5}
    assert res["groups"] == {"added": 0, "updated": 0, "removed": 0, "unchanged": 3}
    assert store.conn.total_changes == changes
    assert dump(store) == before
    # the same with every option on
    res = imp(store, BASIC, overwrite=True, overwrite_vars=True)
    assert res["changed"] is False and store.conn.total_changes == changes


def test_reimport_key_order_only_is_unchanged(store):
    imp(store, doc({"g": {"hosts": ["h"]}}, hostvars={"h": {"a": 1, "b": 2}}))
    res = imp(store, doc({"g": {"hosts": ["h"]}}, hostvars={"h": {"b": 2, "a": 1}}), overwrite_vars=True)
    assert res["changed"] is False


def test_type_strict_change_detection(store):
    imp(store, doc({"g": {"hosts": ["h"]}}, hostvars={"h": {"a": 1}}))
    res = imp(store, doc({"g": {"hosts": ["h"]}}, hostvars={"h": {"a": True}}))
    assert res["hosts"]["updated"] == 1
    assert hosts(store)["h"]["variables"] == {"a": True}


def test_dry_run_reports_and_writes_nothing(store):
    imp(store, BASIC)
    changed = copy.deepcopy(BASIC)
    changed["_meta"]["hostvars"]["w2"] = {"new": 1}
    changed["db"]["hosts"] = ["d1"]
    changed["new"] = {"hosts": ["n1"]}
    changed["all"]["children"].append("new")
    before = dump(store)
    dry = imp(store, changed, overwrite=True, dry_run=True)
    assert dump(store) == before
    real = imp(store, changed, overwrite=True)
    assert dry == real
    assert real["hosts"] == {"added": 1, "updated": 1, "removed": 0, "unchanged": 4}
    assert real["groups"] == {"added": 1, "updated": 1, "removed": 0, "unchanged": 2}
    assert real["group_hosts"] == {"added": 1, "removed": 1}


def test_with_names(store):
    imp(store, doc({"g": {"hosts": ["a"]}}))
    res = imp(store, doc({"g": {"hosts": ["b"]}}), overwrite=True, with_names=True)
    assert res["before"] == {"hosts": ["a"], "groups": ["g"]}
    assert res["after"] == {"hosts": ["b"], "groups": ["g"]}


# -- overwrite / overwrite_vars -------------------------------------------------------------


def _stored_state(store):
    """A stored inventory with things the source below does not have."""
    imp(store, doc(
        {"g1": {"hosts": ["h1", "h2"], "children": ["g2"], "vars": {"a": 1, "b": 2}},
         "g2": {"hosts": ["h3"]},
         "old": {"hosts": ["gone"]}},
        hostvars={"h1": {"a": 1, "b": 2}, "gone": {"z": 0}}))


SOURCE = doc(
    {"g1": {"hosts": ["h1"], "vars": {"b": 3, "c": 4}},
     "g2": {"hosts": ["h3", "h2"]}},
    hostvars={"h1": {"b": 3, "c": 4}})


@pytest.mark.parametrize("overwrite", [False, True])
@pytest.mark.parametrize("overwrite_vars", [False, True])
def test_overwrite_matrix(store, overwrite, overwrite_vars):
    _stored_state(store)
    res = imp(store, SOURCE, overwrite=overwrite, overwrite_vars=overwrite_vars)
    h, g = hosts(store), groups(store)
    if overwrite:
        assert sorted(h) == ["h1", "h2", "h3"]
        assert sorted(g) == ["g1", "g2"]
        assert g["g1"]["hosts"] == ["h1"] and g["g1"]["children"] == []
        assert g["g2"]["hosts"] == ["h2", "h3"]
        assert res["hosts"]["removed"] == 1 and res["groups"]["removed"] == 1
        assert res["group_hosts"]["removed"] == 1  # h2 left g1 (gone's membership went with it)
        assert res["group_children"]["removed"] == 1
        assert res["total_hosts"] == 3 and res["total_groups"] == 2
    else:
        assert sorted(h) == ["gone", "h1", "h2", "h3"]
        assert sorted(g) == ["g1", "g2", "old"]
        assert g["g1"]["hosts"] == ["h1", "h2"] and g["g1"]["children"] == ["g2"]
        assert g["g2"]["hosts"] == ["h2", "h3"]
        assert g["old"]["hosts"] == ["gone"]
        assert res["hosts"]["removed"] == 0 and res["groups"]["removed"] == 0
        assert res["group_hosts"] == {"added": 1, "removed": 0}
        assert res["total_hosts"] == 4 and res["total_groups"] == 3
    if overwrite_vars:
        assert h["h1"]["variables"] == {"b": 3, "c": 4}
        assert g["g1"]["variables"] == {"b": 3, "c": 4}
        # a host the source lists without variables gets none
        assert h["h2"]["variables"] == {}
    else:
        assert h["h1"]["variables"] == {"a": 1, "b": 3, "c": 4}
        assert g["g1"]["variables"] == {"a": 1, "b": 3, "c": 4}
    assert res["changed"] is True


def test_inventory_variables_always_merge(store):
    res = imp(store, doc(all_vars={"x": 1}), overwrite=True, overwrite_vars=True)
    assert res["inventory_variables_changed"] is True
    assert store.get_inventory("inv")["variables"] == {"keep": "me", "x": 1}


def test_no_overwrite_keeps_links_and_only_adds(store):
    imp(store, doc({"p": {"children": ["c1"]}, "c1": {}}))
    res = imp(store, doc({"p": {"children": ["c2"]}, "c2": {}}))
    assert groups(store)["p"]["children"] == ["c1", "c2"]
    assert res["group_children"] == {"added": 1, "removed": 0}
    assert res["groups"] == {"added": 1, "updated": 1, "removed": 0, "unchanged": 0}


def test_nested_groups_deep(store):
    data = doc({"a": {"children": ["b"]}, "b": {"children": ["c"]}, "c": {"hosts": ["h"], "children": ["d"]}, "d": {}})
    imp(store, data)
    g = groups(store)
    assert g["a"]["children"] == ["b"] and g["b"]["children"] == ["c"] and g["c"]["children"] == ["d"]
    assert g["c"]["hosts"] == ["h"]


def test_awx_description_var(store):
    imp(store, doc({"g": {"hosts": ["h"], "vars": {"_awx_description": "the group"}}},
                   hostvars={"h": {"_awx_description": "the host", "v": 1}}))
    assert hosts(store)["h"]["description"] == "the host"
    assert hosts(store)["h"]["variables"] == {"v": 1}
    assert groups(store)["g"]["description"] == "the group"
    assert groups(store)["g"]["variables"] == {}


# -- enabled_var / enabled_value ----------------------------------------------------------------


@pytest.mark.parametrize("value, enabled_value, expected", [
    ("running", "running", True),
    ("RUNNING", "running", True),
    ("stopped", "running", False),
    (True, "true", True),
    (False, "true", False),
    (1, "1", True),
    (True, None, True),
    (0, None, False),
    ("", None, False),
    ("false", None, True),  # AWX: the truth of the value; a non-empty string is true
])
def test_enabled(store, value, enabled_value, expected):
    imp(store, doc({"g": {"hosts": ["h"]}}, hostvars={"h": {"state": {"name": value}}}),
        enabled_var="state.name", enabled_value=enabled_value)
    assert hosts(store)["h"]["enabled"] is expected


def test_enabled_missing_var_keeps_state(store):
    store.save_host("inv", "h", enabled=False)
    res = imp(store, doc({"g": {"hosts": ["h", "new"]}}, hostvars={"h": {"other": 1}, "new": {}}),
              enabled_var="status", enabled_value="up")
    h = hosts(store)
    assert h["h"]["enabled"] is False and h["new"]["enabled"] is True
    # flips when the variable appears
    res = imp(store, doc({"g": {"hosts": ["h"]}}, hostvars={"h": {"status": "up"}}), enabled_var="status", enabled_value="up")
    assert hosts(store)["h"]["enabled"] is True and res["hosts"]["updated"] == 1
    # without enabled_var the state is left alone
    store.save_host("inv", "h", enabled=False)
    imp(store, doc({"g": {"hosts": ["h"]}}, hostvars={"h": {"status": "up"}}))
    assert hosts(store)["h"]["enabled"] is False


# -- instance_id_var --------------------------------------------------------------------------


def test_instance_id_set_and_rename(store):
    imp(store, doc({"g": {"hosts": ["old-name"]}}, hostvars={"old-name": {"iid": "i-1", "v": 1}}), instance_id_var="iid")
    h = hosts(store)["old-name"]
    assert h["instance_id"] == "i-1"
    host_id = h["id"]
    store.set_facts(host_id, {"os": "linux"})
    res = imp(store, doc({"g": {"hosts": ["new-name"]}}, hostvars={"new-name": {"iid": "i-1", "v": 2}}),
              instance_id_var="iid", overwrite=True)
    assert res["hosts"] == {"added": 0, "updated": 1, "removed": 0, "unchanged": 0}
    h = hosts(store)
    assert list(h) == ["new-name"] and h["new-name"]["id"] == host_id
    assert h["new-name"]["variables"] == {"iid": "i-1", "v": 2}
    assert store.get_facts(host_id) == {"os": "linux"}  # facts survive a rename
    assert groups(store)["g"]["hosts"] == ["new-name"]


def test_instance_id_comma_list_dotted(store):
    data = doc({"g": {"hosts": ["a", "b", "c"]}}, hostvars={
        "a": {"meta": {"id": "m-a"}, "uuid": "u-a"},
        "b": {"uuid": "u-b"},
        "c": {"meta": {"id": ""}, "other": 1},
    })
    imp(store, data, instance_id_var="meta.id, uuid")
    h = hosts(store)
    assert (h["a"]["instance_id"], h["b"]["instance_id"], h["c"]["instance_id"]) == ("m-a", "u-b", "")


def test_instance_id_matches_stored_host_by_its_variables(store):
    # imported before instance_id_var was used: instance_id column empty, id in the variables
    imp(store, doc({"g": {"hosts": ["x"]}}, hostvars={"x": {"iid": "i-9"}}))
    assert hosts(store)["x"]["instance_id"] == ""
    res = imp(store, doc({"g": {"hosts": ["y"]}}, hostvars={"y": {"iid": "i-9"}}), instance_id_var="iid")
    assert res["hosts"]["updated"] == 1 and res["hosts"]["added"] == 0
    assert list(hosts(store)) == ["y"] and hosts(store)["y"]["instance_id"] == "i-9"


def test_instance_id_swapped_names(store):
    imp(store, doc({"g": {"hosts": ["a", "b"]}}, hostvars={"a": {"iid": "1"}, "b": {"iid": "2"}}), instance_id_var="iid")
    ids = {n: h["id"] for n, h in hosts(store).items()}
    res = imp(store, doc({"g": {"hosts": ["a", "b"]}}, hostvars={"a": {"iid": "2"}, "b": {"iid": "1"}}), instance_id_var="iid")
    assert res["hosts"]["updated"] == 2
    h = hosts(store)
    assert h["a"]["id"] == ids["b"] and h["b"]["id"] == ids["a"]


def test_instance_id_name_wins_over_unclaimed_conflict(store):
    # stored: 'a' (id i-1) and 'b' (no id). The source's 'b' carries i-1: AWX keeps the stored 'b'.
    imp(store, doc({"g": {"hosts": ["a"]}}, hostvars={"a": {"iid": "i-1"}}), instance_id_var="iid")
    store.save_host("inv", "b")
    b_id = hosts(store)["b"]["id"]
    res = imp(store, doc({"g": {"hosts": ["b"]}}, hostvars={"b": {"iid": "i-1"}}), instance_id_var="iid", overwrite=True)
    h = hosts(store)
    assert list(h) == ["b"] and h["b"]["id"] == b_id and h["b"]["instance_id"] == "i-1"
    assert res["hosts"]["removed"] == 1


def test_instance_id_released_match_is_taken_by_name(store):
    # stored: 'x' (id 1), 'y' (no id).  Source: 'y' carries id 1, 'x' none.  'y' keeps the stored 'y'
    # (the name wins), which frees the stored 'x' for the source's 'x': no rename, no clash.
    imp(store, doc({"g": {"hosts": ["x"]}}, hostvars={"x": {"iid": "1"}}), instance_id_var="iid")
    store.save_host("inv", "y")
    ids = {n: h["id"] for n, h in hosts(store).items()}
    res = imp(store, doc({"g": {"hosts": ["x", "y"]}}, hostvars={"y": {"iid": "1"}}), instance_id_var="iid")
    h = hosts(store)
    assert {n: x["id"] for n, x in h.items()} == ids
    assert h["y"]["instance_id"] == "1" and h["x"]["instance_id"] == ""
    assert res["hosts"]["added"] == 0


def test_instance_id_cleared_when_var_missing_and_kept_without_option(store):
    imp(store, doc({"g": {"hosts": ["a"]}}, hostvars={"a": {"iid": "i-1"}}), instance_id_var="iid")
    imp(store, doc({"g": {"hosts": ["a"]}}, hostvars={"a": {"v": 1}}))
    assert hosts(store)["a"]["instance_id"] == "i-1"
    imp(store, doc({"g": {"hosts": ["a"]}}, hostvars={"a": {"v": 1}}), instance_id_var="other", overwrite_vars=True)
    assert hosts(store)["a"]["instance_id"] == ""


# -- other shapes of data -------------------------------------------------------------------------


def test_script_style_document(store):
    data = {
        "web": ["w1", "w2"],
        "db": {"hosts": {"d1": {"port": 5432}}, "vars": {"x": 1}, "children": ["web"]},
        "all": {"hosts": ["solo"], "vars": {"v": 2}},
        "_meta": {"hostvars": {"w1": {"a": 1}, "unknown": {"b": 2}}},
    }
    imp(store, data)
    h, g = hosts(store), groups(store)
    assert sorted(h) == ["d1", "solo", "w1", "w2"]
    assert h["d1"]["variables"] == {"port": 5432} and h["w1"]["variables"] == {"a": 1}
    assert g["db"]["children"] == ["web"] and g["web"]["hosts"] == ["w1", "w2"]
    assert store.get_inventory("inv")["variables"]["v"] == 2


def test_unsafe_values_unwrapped(store):
    data = doc({"g": {"hosts": ["h"], "vars": {"t": {"__ansible_unsafe": "{{ x }}"}}}},
               hostvars={"h": {"l": [{"__ansible_unsafe": "a"}], "vault": {"__ansible_vault": "$ANSIBLE_VAULT;1.1;AES256\n31"}}})
    imp(store, load_inventory_source(data))
    assert groups(store)["g"]["variables"] == {"t": "{{ x }}"}
    assert hosts(store)["h"]["variables"] == {"l": ["a"], "vault": {"__ansible_vault": "$ANSIBLE_VAULT;1.1;AES256\n31"}}


@pytest.mark.parametrize("data, message", [
    ({"g": {"hosts": 5}}, "hosts of group 'g'"),
    ({"g": {"vars": ["x"]}}, "vars of group 'g'"),
    ({"g": {"children": "x"}}, "children of group 'g'"),
    ({"g": {"hosts": ["{{ lookup('pipe', 'id') }}"]}}, "Jinja"),
    ({"g": {"children": ["g"]}}, "its own child"),
    (["not", "a", "mapping"], "must be a mapping"),
])
def test_malformed_data(store, data, message):
    before = dump(store)
    with pytest.raises(InventorySourceError, match=message):
        import_inventory(store, "inv", data)
    assert dump(store) == before


# -- refusals and atomicity ----------------------------------------------------------------------


def test_unknown_inventory(store):
    with pytest.raises(NotFound, match="'nope'"):
        imp(store, BASIC, inventory="nope")


@pytest.mark.parametrize("kind, extra", [("smart", {"host_filter": "name=x"}), ("constructed", {})])
def test_refuses_smart_and_constructed(store, kind, extra):
    store.save_inventory("special", kind=kind, **extra)
    before = dump(store)
    with pytest.raises(ValidationError, match="%s inventory 'special'" % kind):
        imp(store, BASIC, inventory="special")
    assert dump(store) == before


def test_failure_midway_rolls_back_everything(store):
    imp(store, doc({"a": {"children": ["b"]}, "b": {}}))
    before = dump(store)
    # hosts and groups are written before the links; the cycle is found at the end
    bad = doc({"b": {"children": ["a"], "hosts": ["h1", "h2"], "vars": {"x": 1}}, "a": {}, "c": {"hosts": ["h3"]}},
              hostvars={"h1": {"v": 1}}, all_vars={"new": 1})
    with pytest.raises(ValidationError, match="cycle"):
        imp(store, bad)
    assert dump(store) == before
    # with overwrite the stored link goes away, so no cycle
    res = imp(store, bad, overwrite=True)
    assert groups(store)["b"]["children"] == ["a"] and groups(store)["a"]["children"] == []
    assert res["group_children"] == {"added": 1, "removed": 1}


# -- reading real sources with ansible-inventory ---------------------------------------------------


def _import_source(store, source, **kw):
    """What the module does: read, then import."""
    return import_inventory(store, "inv", load_inventory_source(source, timeout=120), **kw)


def test_source_yaml_ini_script_directory(store, tmp_path):
    yml = write(tmp_path / "inv.yml", """\
        all:
          vars: {site: here}
          hosts:
            solo: {a: 1}
          children:
            web:
              hosts:
                w1: {ansible_host: 10.0.0.1}
              vars: {port: 80}
              children:
                web_eu:
                  hosts: {w2: {}}
        """)
    res = _import_source(store, yml)
    assert res["hosts"]["added"] == 3 and res["groups"]["added"] == 2
    g = groups(store)
    assert g["web"]["children"] == ["web_eu"] and g["web"]["variables"] == {"port": 80}
    assert hosts(store)["w1"]["variables"] == {"ansible_host": "10.0.0.1"}
    assert store.get_inventory("inv")["variables"]["site"] == "here"
    assert _import_source(store, yml)["changed"] is False

    ini = write(tmp_path / "hosts.ini", """\
        [db]
        d1 port=5432
        [db:vars]
        engine=pg
        """)
    res = _import_source(store, ini)
    assert hosts(store)["d1"]["variables"] == {"port": 5432}
    assert groups(store)["db"]["variables"] == {"engine": "pg"}

    script = write(tmp_path / "inv.sh", """\
        #!/bin/sh
        echo '{"s": {"hosts": ["s1"], "vars": {"k": "v"}}, "_meta": {"hostvars": {"s1": {"x": 2}}}}'
        """, executable=True)
    _import_source(store, script)
    assert hosts(store)["s1"]["variables"] == {"x": 2}

    d = tmp_path / "dir"
    d.mkdir()
    write(d / "a.yml", "all:\n  children:\n    dg:\n      hosts:\n        dh1:\n")
    (d / "group_vars").mkdir()
    write(d / "group_vars" / "dg.yml", "gv: from_group_vars\n")
    res = _import_source(store, str(d), overwrite=True)
    assert sorted(hosts(store)) == ["dh1"]
    assert groups(store)["dg"]["variables"] == {"gv": "from_group_vars"}


BROKEN = [
    ("broken.ini", "[web\nhost1\n", False, "ini"),
    ("broken.yml", "all:\n  hosts:\n    a:\n   b: 1\n  - c\n", False, "YAML"),
    ("fail.sh", "#!/bin/sh\necho 'cloud unreachable' >&2\nexit 1\n", True, "cloud unreachable"),
]


@pytest.mark.parametrize("name, text, executable, reason", BROKEN, ids=[b[0] for b in BROKEN])
def test_broken_sources_fail_and_change_nothing(store, tmp_path, name, text, executable, reason):
    imp(store, BASIC)
    before = dump(store)
    source = write(tmp_path / name, text, executable=executable)
    with pytest.raises(InventorySourceError) as err:
        _import_source(store, source, overwrite=True)
    msg = str(err.value)
    assert source in msg and reason in msg
    assert dump(store) == before


def test_nonexistent_source(store, tmp_path):
    before = dump(store)
    missing = str(tmp_path / "nope.yml")
    with pytest.raises(InventorySourceError, match="nope.yml: no such file or directory"):
        _import_source(store, missing, overwrite=True)
    assert dump(store) == before


def test_directory_with_one_broken_file_fails(tmp_path):
    d = tmp_path / "dir"
    d.mkdir()
    write(d / "good.yml", "all:\n  hosts:\n    a:\n")
    write(d / "bad.ini", "[web\nx\n")
    with pytest.raises(InventorySourceError, match="bad.ini"):
        load_inventory_source(str(d), timeout=120)


def test_timeout(tmp_path):
    script = write(tmp_path / "slow.sh", "#!/bin/sh\nsleep 30\necho '{}'\n", executable=True)
    with pytest.raises(InventorySourceError, match="within 2 seconds"):
        load_inventory_source(script, timeout=2)


def test_ansible_inventory_not_found(tmp_path):
    with pytest.raises(InventorySourceError, match="cannot run"):
        load_inventory_source(write(tmp_path / "x.yml", "all: {}\n"), ansible_inventory=str(tmp_path / "no-such-binary"))


def test_command_lookup_prefers_sys_executable_dir(monkeypatch, tmp_path):
    fake = tmp_path / "ansible-inventory"
    write(fake, "#!/bin/sh\n", executable=True)
    monkeypatch.setattr(importer.sys, "executable", str(tmp_path / "python"))
    assert importer.ansible_inventory_command() == [str(fake)]


def test_trim_stderr():
    text = "[WARNING]: a\n\n<<< caused by >>>\n\nreason\nreason\n[ERROR]: b\n"
    assert importer.trim_stderr(text) == "[WARNING]: a\nreason\n[ERROR]: b"
    assert len(importer.trim_stderr("x" * 10000 + "\n", limit=100)) <= 104


def test_helpers():
    assert importer.get_instance_id({"a": {"b": 5}}, "a.b") == "5"
    assert importer.get_instance_id({"a": "x"}, "a.b,c") == ""
    assert importer.get_enabled({"a": None}, "a") is False
    assert importer.get_enabled({}, "a") is None
    assert importer.get_enabled({"a": 1}, None) is None
    assert importer._find_cycle([(1, 2), (2, 3), (3, 1)]) == [1, 2, 3, 1]
    assert importer._find_cycle([(1, 2), (2, 3), (1, 3)]) is None


def test_load_inventory_source_dict_passthrough():
    data = {"g": {"hosts": ["a"]}, "_meta": {"hostvars": {"a": {"v": {"__ansible_unsafe": "x"}}}}}
    assert load_inventory_source(data)["_meta"]["hostvars"]["a"]["v"] == "x"
    assert json.dumps(load_inventory_source(data))  # plain JSON types only
    assert os.environ.get("ANSIBLE_INVENTORY_UNPARSED_FAILED") in (None, "1")


# -- properties -------------------------------------------------------------------------------------

HOST_NAMES = ["a", "b", "c", "d", "e"]
GROUP_NAMES = ["g1", "g2", "g3"]


@st.composite
def sources(draw):
    names = draw(st.lists(st.sampled_from(HOST_NAMES), unique=True, max_size=5))
    hostvars = {}
    for n in names:
        hv = draw(st.dictionaries(st.sampled_from(["k", "m"]), st.sampled_from([0, 1, True, "x"]), max_size=2))
        iid = draw(st.sampled_from([None, "1", "2", "3"]))
        if iid:
            hv["iid"] = iid
        hostvars[n] = hv
    gnames = draw(st.lists(st.sampled_from(GROUP_NAMES), unique=True, max_size=3))
    body = {}
    for i, g in enumerate(gnames):
        b = {"hosts": draw(st.lists(st.sampled_from(names), unique=True)) if names else []}
        later = gnames[i + 1:]
        if later:
            b["children"] = draw(st.lists(st.sampled_from(later), unique=True))
        b["vars"] = draw(st.dictionaries(st.sampled_from(["v", "w"]), st.integers(0, 2), max_size=2))
        body[g] = b
    grouped = {h for b in body.values() for h in b["hosts"]}
    return doc(body, hostvars=hostvars, ungrouped=[n for n in names if n not in grouped])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(first=sources(), second=sources(), overwrite=st.booleans(), overwrite_vars=st.booleans(), use_iid=st.booleans())
def test_property_import_sequences(tmp_path_factory, first, second, overwrite, overwrite_vars, use_iid):
    s = Store(str(tmp_path_factory.mktemp("prop") / "s.db"))
    try:
        s.save_inventory("inv")
        kw = dict(overwrite=overwrite, overwrite_vars=overwrite_vars, instance_id_var="iid" if use_iid else None)
        imp(s, first, **kw)
        before = dump(s)
        try:
            imp(s, second, **kw)
        except ValidationError as exc:  # only a cycle made by merging links can be refused
            assert "cycle" in str(exc) and not overwrite
            assert dump(s) == before
            return
        after = dump(s)
        changes = s.conn.total_changes
        again = imp(s, second, **kw)
        assert again["changed"] is False and s.conn.total_changes == changes and dump(s) == after
        src_hosts = set(second["_meta"]["hostvars"])
        h = hosts(s)
        assert src_hosts <= set(h)
        if overwrite:
            assert set(h) == src_hosts
            g = groups(s)
            assert set(g) == {k for k in second if k not in ("_meta", "all", "ungrouped")}
            for name, grp in g.items():
                assert grp["hosts"] == sorted(second[name]["hosts"])
                assert grp["children"] == sorted(second[name].get("children", []))
        if overwrite_vars:
            for n in src_hosts:
                assert h[n]["variables"] == second["_meta"]["hostvars"][n]
    finally:
        s.close()
