"""Fact paths that match nothing are warned about, and facts have a history (issue 10 items 8 and 11).

Through the public interface: modules with ansible-playbook, the smart plugin with ansible-inventory.
"""

from __future__ import annotations

import pytest

from scaffolding import failed_msg, play

from ansible_collections.fleet.inventory.plugins.module_utils.store.core import Store

INTERPRETER = {"ansible_python_interpreter": "{{ ansible_playbook_python }}"}
CACHE_ENV = {"ANSIBLE_CACHE_PLUGIN": "fleet.inventory.store", "ANSIBLE_GATHERING": "implicit"}

SEED = """\
    - name: inventory
      fleet.inventory.inventory:
        name: prod
    - name: host
      fleet.inventory.host:
        name: web1
        inventory: prod
    - name: facts
      fleet.inventory.host_facts:
        host: web1
        inventory: prod
        facts:
          ansible_distribution: Ubuntu
          ansible_lo:
            ipv6:
              - scope: host
"""


def search(host_filter, **options):
    lines = "".join("        %s: %s\n" % item for item in options.items())
    return """\
    - name: search
      fleet.inventory.host_info:
        host_filter: '%s'
%s      register: found
""" % (host_filter, lines)


@pytest.fixture
def store_path(ansible_env):
    return ansible_env["FLEET_INVENTORY_STORE"]


@pytest.mark.parametrize("host_filter, suggestion", [
    ("ansible_facts__ansible_distrbution=Ubuntu", "ansible_facts__ansible_distribution"),
    # Ansible's ansible_facts.distribution is stored as ansible_distribution
    ("ansible_facts__distribution=Debian", "ansible_facts__ansible_distribution"),
    # an array needs its [] step
    ("ansible_facts__ansible_lo__ipv6__scope=host", "ansible_facts__ansible_lo__ipv6[]__scope"),
])
def test_host_info_warns_about_a_fact_path_no_host_has(run_playbook, host_filter, suggestion):
    res = run_playbook(play(SEED + search(host_filter)))
    result = res.task("search")
    assert result["hosts"] == []
    path = host_filter.split("=")[0]
    assert result["warnings"] == [
        "host_filter names the fact path %s, which no stored host has; did you mean %s?" % (path, suggestion)]


def test_host_info_says_nothing_about_known_paths(run_playbook):
    res = run_playbook(play(SEED + search('ansible_facts__ansible_distribution=Ubuntu and ansible_facts__ansible_lo__ipv6[]__scope=host'
                                          ' and ansible_facts__nothing__isnull=true')))
    result = res.task("search")
    assert [h["name"] for h in result["hosts"]] == ["web1"]
    assert not result.get("warnings")


def test_smart_plugin_warns_with_did_you_mean(run_playbook, run_inventory):
    run_playbook(play(SEED))
    proc = run_inventory("--list", {"plugin": "fleet.inventory.smart", "host_filter": "ansible_facts__distribution=Ubuntu"},
                         inventory_filename="ubuntu.smart.yml", raw=True)
    assert proc.returncode == 0
    text = " ".join(proc.stderr.split())
    assert ("host_filter names the fact path ansible_facts__distribution, which no stored host has; "
            "did you mean ansible_facts__ansible_distribution?") in text, proc.stderr
    assert "ubuntu.smart.yml" in text


def test_facts_from_the_cache_plugin_are_catalogued(run_playbook):
    run_playbook([{"name": "gather", "hosts": "localhost", "gather_facts": True, "vars": dict(INTERPRETER),
                   "tasks": [{"name": "noop", "ansible.builtin.debug": {"msg": "{{ ansible_facts.system }}"}}]}], env=CACHE_ENV)
    res = run_playbook(play(search("ansible_facts__ansible_sytsem=Linux")))
    assert res.task("search")["warnings"] == [
        "host_filter names the fact path ansible_facts__ansible_sytsem, which no stored host has; "
        "did you mean ansible_facts__ansible_system?"]
    res = run_playbook(play(search("ansible_facts__ansible_system=Linux")))
    assert [h["name"] for h in res.task("search")["hosts"]] == ["localhost"] and not res.task("search").get("warnings")


def test_a_key_no_host_holds_any_more_is_unknown_again(run_playbook):
    run_playbook(play(SEED))
    run_playbook(play("""\
    - name: replace facts
      fleet.inventory.host_facts:
        host: web1
        inventory: prod
        merge: false
        facts:
          ansible_os_family: Debian
"""))
    res = run_playbook(play(search("ansible_facts__ansible_distribution=Ubuntu")))
    assert res.task("search")["warnings"] == [
        "host_filter names the fact path ansible_facts__ansible_distribution, which no stored host has"]


# --------------------------------------------------------------------------------- fact history


def set_facts(facts, merge=True):
    return """\
    - name: set facts
      fleet.inventory.host_facts:
        host: web1
        inventory: prod
        merge: %s
        facts: %s
""" % (str(merge).lower(), facts)


def test_fact_history_through_host_info(run_playbook, store_path):
    run_playbook(play(SEED))
    run_playbook(play(set_facts("{ansible_distribution: Ubuntu}")))  # no change: no entry
    run_playbook(play(set_facts("{ansible_distribution: Debian, ansible_memfree_mb: 100}")))
    run_playbook(play(set_facts("{ansible_memfree_mb: 90}", merge=False)))
    res = run_playbook(play(search("name=web1", fact_history="true")))
    [host] = res.task("search")["hosts"]
    history = host["fact_history"]
    assert [{k: e[k] for k in ("added", "changed", "removed")} for e in history] == [
        {"added": [], "changed": ["ansible_memfree_mb"], "removed": ["ansible_distribution", "ansible_lo"]},
        {"added": ["ansible_memfree_mb"], "changed": ["ansible_distribution"], "removed": []},
        {"added": ["ansible_distribution", "ansible_lo"], "changed": [], "removed": []},
    ]
    assert history[0]["modified"] == host["ansible_facts_modified"]
    assert history[0]["modified"] > history[1]["modified"] > history[2]["modified"]
    # without the option there is none
    res = run_playbook(play(search("name=web1")))
    assert "fact_history" not in res.task("search")["hosts"][0]


def test_fact_history_is_bounded_by_the_store_setting(run_playbook, store_path):
    run_playbook(play(SEED))
    res = run_playbook(play("""\
    - name: settings
      fleet.inventory.settings:
        settings:
          fact_history_entries: 2
"""), diff=True)
    result = res.task("settings")
    assert result["changed"] is True and result["settings"] == {"fact_history_entries": 2}
    assert result["diff"] == {"before": {"fact_history_entries": 20}, "after": {"fact_history_entries": 2}}
    for n in range(3):
        run_playbook(play(set_facts("{counter: %d}" % n)))
    res = run_playbook(play(search("name=web1", fact_history="true")))
    history = res.task("search")["hosts"][0]["fact_history"]
    assert [e["added"] + e["changed"] for e in history] == [["counter"], ["counter"]]
    assert history[1]["added"] == [] and history[0]["changed"] == ["counter"]
    with Store(store_path) as s:  # older entries are gone from the store, not only hidden
        assert s.query_one("SELECT COUNT(*) AS n FROM host_fact_history")["n"] == 2
    # unchanged setting: changed false
    res = run_playbook(play("""\
    - name: settings
      fleet.inventory.settings:
        settings:
          fact_history_entries: 2
"""))
    assert res.task("settings")["changed"] is False


def test_fact_history_off(run_playbook, store_path):
    run_playbook(play(SEED + """\
    - name: settings
      fleet.inventory.settings:
        settings:
          fact_history_entries: 0
"""))
    run_playbook(play(set_facts("{ansible_distribution: Debian}")))
    res = run_playbook(play(search("name=web1", fact_history="true")))
    assert res.task("search")["hosts"][0]["fact_history"] == []


@pytest.mark.parametrize("settings, message", [
    ("{fact_history_entries: -1}", "fact_history_entries must be a whole number from 0 to 10000, not -1"),
    ("{fact_history_entries: many}", "fact_history_entries must be a whole number from 0 to 10000, not 'many'"),
    ("{fact_history_entry: 3}", "unknown store setting 'fact_history_entry' (known: fact_history_entries)"),
])
def test_bad_settings_fail_cleanly(run_playbook, store_path, settings, message):
    res = run_playbook(play(SEED + """\
    - name: Bad task
      fleet.inventory.settings:
        settings: %s
""" % settings), expect_rc=2)
    assert failed_msg(res) == message
    with Store(store_path) as s:
        assert s.query("SELECT * FROM store_settings") == []


def test_settings_check_mode_writes_nothing(run_playbook, store_path):
    run_playbook(play(SEED))
    res = run_playbook(play("""\
    - name: settings
      fleet.inventory.settings:
        settings:
          fact_history_entries: 5
"""), check=True)
    assert res.task("settings")["changed"] is True
    with Store(store_path) as s:
        assert s.query("SELECT * FROM store_settings") == []
