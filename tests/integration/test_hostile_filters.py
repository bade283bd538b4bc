"""Hostile filters through the public interface (issue 9, items 1-4; issue 10, items 8, 10, 11):
host_info and inventory with ``ansible-playbook``, the smart plugin with ``ansible-inventory``."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from ansible_collections.fleet.inventory.plugins.module_utils.store.core import Store

from scaffolding import dump, failed, play

EVIL = "a" * 40 + "!"   # 2**40 steps for a backtracking engine matching (a+)+$


@pytest.fixture
def store_path(ansible_env):
    return ansible_env["FLEET_INVENTORY_STORE"]


@pytest.fixture
def filled(store_path):
    with Store.open(store_path) as s:
        s.save_inventory("prod")
        s.save_host("prod", EVIL, variables={"role": "evil", "app": {"ports": [80, 443], "tier": "front"}})
        s.save_host("prod", "web01", variables={"role": "web", "app": {"ports": [8080], "tier": "back", "ünï": "ok"}})
        s.save_host("prod", "db01", variables={"role": "db"})
    return store_path


def info(host_filter, name="Search"):
    return play("    - name: %s\n      fleet.inventory.host_info:\n        host_filter: %s\n" % (name, json.dumps(host_filter)))


def names(result):
    return sorted(h["name"] for h in result["hosts"])


def clean_failure(res, name="Search"):
    result = failed(res.task(name))
    # a crash says "Module failed" in msg (fail_json from an except block has exception "(traceback unavailable)")
    assert "Module failed" not in result["msg"] and "Traceback" not in result.get("exception", ""), result
    return result["msg"]


# ------------------------------------------------------------------ item 1: linear-time regexes


def test_catastrophic_regex_host_info(filled, run_playbook):
    res = run_playbook(info('name__regex="(a+)+$"', "Catastrophic") + info('name__regex="(a|aa)+!$"', "Matching")[len(play("")):])
    assert names(res.task("Catastrophic")) == []
    assert names(res.task("Matching")) == [EVIL]


def test_catastrophic_regex_smart_plugin(filled, run_inventory):
    listing = run_inventory("--list", {"plugin": "fleet.inventory.smart", "host_filter": 'name__iregex="(A+)+$" or name=db01'},
                            inventory_filename="evil.smart.yml")
    assert sorted(listing["_meta"]["hostvars"]) == ["db01"]
    with Store.open(filled) as s:   # a stored smart inventory with such a filter: saved, and usable
        s.save_inventory("evil", kind="smart", host_filter='name__regex="(a+)+!$"')
    listing = run_inventory("--list", {"plugin": "fleet.inventory.smart", "inventory": "evil"}, inventory_filename="evil.smart.yml")
    assert sorted(listing["_meta"]["hostvars"]) == [EVIL]


@pytest.mark.parametrize("pattern, why", [
    ("(?=web)w", "lookahead and lookbehind are not supported"),
    ("(?<!x)web", "lookahead and lookbehind are not supported"),
    (r"(w)\1", "backreferences are not supported"),
])
def test_regex_re2_cannot_run_refused_on_save(filled, run_playbook, pattern, why):
    before = dump(filled)
    res = run_playbook(play("""\
    - name: Save
      fleet.inventory.inventory:
        name: evil
        kind: smart
        host_filter: 'name__regex="%s"'
""" % pattern), expect_rc=2)
    msg = clean_failure(res, "Save")
    assert msg.startswith("smart inventory 'evil': host_filter: invalid regular expression"), msg
    assert why in msg
    assert dump(filled) == before


# ------------------------------------------------------------------ items 2, 3: limits and clean errors


def alternating(levels):
    text = "name=web01"
    for level in range(levels):
        text = "(name=nothing or %s)" % text if level % 2 else "(name__startswith=w and %s)" % text
    return text


@pytest.mark.parametrize("host_filter, expected", [
    ("not " * 44 + "name=web01", ["web01"]),
    ("not " * 99 + "name=web01", ["db01", EVIL]),
    (alternating(30), ["web01"]),
    (alternating(100), ["web01"]),
    ("not " * 36 + "variables__app__ports[]__gte=8000", ["web01"]),
])
def test_deep_filters_save_and_run(filled, run_playbook, run_inventory, host_filter, expected):
    res = run_playbook(play("""\
    - name: Save
      fleet.inventory.inventory:
        name: deep
        kind: smart
        host_filter: %s
""" % json.dumps(host_filter)) + info(host_filter)[len(play("")):])
    assert res.task("Save")["changed"] is True
    assert names(res.task("Search")) == sorted(expected)
    listing = run_inventory("--list", {"plugin": "fleet.inventory.smart", "inventory": "deep"}, inventory_filename="deep.smart.yml")
    assert sorted(listing["_meta"]["hostvars"]) == sorted(expected)


@pytest.mark.parametrize("host_filter, message", [
    ("id=99999999999999999999", "host_filter: integer 99999999999999999999 is out of range"),
    ("ansible_facts__k=999999999999999999999", "host_filter: integer 999999999999999999999 is out of range"),
    ("ansible_facts__k=" + "9" * 4400, "(4400 characters) is out of range"),
    ("ansible_facts__" + "__".join(["a"] * 493) + "=1", "host_filter: fact path has 493 steps, more than 32"),
    ("name__in=" + ",".join(["x"] * 300000), "host_filter: filter is 600008 characters long, more than 65536"),
    ("group__nmae=web", "host_filter: unknown field 'group__nmae' (did you mean group__name?) at column 1"),
    ("name__regex=^web(01|02)$", "(a regular expression with parentheses or spaces must be quoted: name__regex=\"...\")"),
    ("ansible_facts_modified__gt=yesterday", "host_filter: expected an ISO-8601 time for 'ansible_facts_modified'"),
])
def test_hostile_input_is_a_clean_error(filled, run_playbook, host_filter, message):
    res = run_playbook(info(host_filter), expect_rc=2)
    msg = clean_failure(res)
    assert msg.startswith("host_filter: ") and message in msg, msg


def test_deeply_nested_variables_are_refused(filled, run_playbook):
    deep = "{" + '"a": {' * 2000 + "}" * 2000 + "}"
    before = dump(filled)
    res = run_playbook(play("""\
    - name: Save
      fleet.inventory.host:
        inventory: prod
        name: deep
        variables: '%s'
""" % deep), expect_rc=2)
    assert clean_failure(res, "Save").endswith("variables is nested more than 200 levels deep")
    assert dump(filled) == before


# ------------------------------------------------------------------ issue 10, item 10: host variables


@pytest.mark.parametrize("host_filter, expected", [
    ("variables__role=web", ["web01"]),
    ("variables__app__tier__in=front,back", ["web01", EVIL]),
    ("variables__app__ports[]=443", [EVIL]),
    ("variables__app__ports[]__gte=1000", ["web01"]),
    ("variables__app__ünï__isnull=false", ["web01"]),
    ('variables__role__iregex="^(WEB|DB)$"', ["db01", "web01"]),
    ("not variables__app__isnull=false", ["db01"]),
])
def test_variables_search(filled, run_playbook, run_inventory, host_filter, expected):
    res = run_playbook(info(host_filter))
    assert names(res.task("Search")) == sorted(expected)
    listing = run_inventory("--list", {"plugin": "fleet.inventory.smart", "host_filter": host_filter}, inventory_filename="v.smart.yml")
    assert sorted(listing["_meta"]["hostvars"]) == sorted(expected)


@pytest.mark.parametrize("host_filter", ["variables=x", "variables__icontains=web", "groups__variables__a=1", "inventory__variables__a=1"])
def test_plain_and_group_variables_refused(filled, run_playbook, host_filter):
    msg = clean_failure(run_playbook(info(host_filter), expect_rc=2))
    assert "is not allowed" in msg, msg


# ------------------------------------------------------------------ issue 10, item 11: facts changed since a time


def test_facts_modified_since(filled, run_playbook):
    with Store.open(filled) as s:
        s.set_facts(s.get_host("prod", "web01")["id"], {"os": "Debian"})
        stamp = s.get_host("prod", "web01")["ansible_facts_modified"]
    when = datetime.fromisoformat(stamp)
    before = (when - timedelta(seconds=1)).astimezone(timezone(timedelta(hours=2))).isoformat()   # +02:00
    after_z = (when + timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")                     # Z
    naive_before = (when - timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%S")                    # UTC without offset
    res = run_playbook(
        info("ansible_facts_modified__gt=%s" % before, "Since before")
        + info("ansible_facts_modified__gte=%s" % after_z, "Since after")[len(play("")):]
        + info("ansible_facts_modified__lt=%s" % after_z, "Until after")[len(play("")):]
        + info("ansible_facts_modified__gte=%s and ansible_facts_modified__lte=%s" % (naive_before, after_z), "Window")[len(play("")):]
        + info("ansible_facts_modified__lt=%s" % before, "Until before")[len(play("")):])
    assert names(res.task("Since before")) == ["web01"]
    assert names(res.task("Since after")) == []
    assert names(res.task("Until after")) == ["web01"]
    assert names(res.task("Window")) == ["web01"]
    assert names(res.task("Until before")) == []   # hosts without facts have no time: never before or after
