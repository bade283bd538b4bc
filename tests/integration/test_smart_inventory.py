"""End-to-end: ``ansible-inventory -i smart.yml`` with the fleet.inventory.smart plugin over a real store."""

from __future__ import annotations

import pytest

from ansible_collections.fleet.inventory.plugins.module_utils.store.core import Store

SMART = "fleet.inventory.smart"


@pytest.fixture
def store_path(ansible_env):
    return ansible_env["FLEET_INVENTORY_STORE"]


@pytest.fixture
def filled(store_path):
    """Hosts shaped after the examples of AWX's smart inventory documentation.

    US-East (id 1): localhost, nyc-web1; west (id 2): database, cloud1;
    other (id 3): a second localhost and only-other.
    """
    with Store.open(store_path) as s:
        s.save_inventory("US-East", variables={"inv": "east"})
        s.save_inventory("west")
        s.save_inventory("other")
        s.save_group("US-East", "east", variables={"zone": "east", "ntp": "ntp.east"})
        s.save_group("US-East", "local")
        s.save_group("US-East", "us", variables={"country": "us"}, children=["east"])
        s.save_group("US-East", "world", variables={"planet": "earth"}, children=["us"])
        s.save_group("west", "west coast", variables={"zone": "west"})
        s.save_group("west", "ec2-hosts")
        s.save_group("west", "gce-hosts")
        s.save_group("other", "east", variables={"zone": "other-east", "only_in_other": 1})
        s.save_host("US-East", "localhost", description="the controller",
                    variables={"ansible_connection": "local", "where": "US-East", "motd": "{{ inventory_hostname }} says hi"},
                    groups=["east", "local"])
        s.save_host("US-East", "nyc-web1", description="web server", variables={"where": "US-East"}, groups=["east"])
        s.save_host("west", "database", description="nyc db", variables={"where": "west", "port": 5432}, groups=["west coast"])
        s.save_host("west", "cloud1", groups=["ec2-hosts", "gce-hosts"])
        s.save_host("other", "localhost", variables={"where": "other"})
        s.save_host("other", "only-other", groups=["east"])
        s.save_host("other", "disabled-one", enabled=False)
        ids = {(h["inventory"], h["name"]): h["id"] for inv in ("US-East", "west", "other") for h in s.list_hosts(inv)}
        s.set_facts_many([
            (ids[("US-East", "localhost")], {
                "ansible_processor": ["0", "GenuineIntel", "Intel(R) Xeon(R)"],
                "ansible_processor_vcpus": 8,
                "ansible_lo": {"ipv6": [{"address": "::1", "scope": "host"}]},
                "ansible_env": {"PYTHONUNBUFFERED": "true"},
                "ansible_date_time": {"weekday_number": "3"},
                "ansible_distribution": "Ubuntu",
                "ansible_system": "Linux",
                "ansible_memtotal_mb": 32000,
            }),
            (ids[("west", "database")], {
                "ansible_processor": ["0", "AuthenticAMD"], "ansible_processor_vcpus": 8,
                "ansible_distribution": "RedHat", "ansible_system": "Linux", "ansible_memtotal_mb": 4000,
            }),
            (ids[("US-East", "nyc-web1")], {"ansible_processor_vcpus": 4, "ansible_distribution": "Ubuntu", "ansible_system": "Linux"}),
            (ids[("other", "localhost")], {"ansible_processor_vcpus": 8, "ansible_distribution": "Fedora"}),
        ])
        s.save_inventory("eight-cpus", kind="smart", host_filter="ansible_facts__ansible_processor_vcpus=8",
                         variables={"smart_level": "all-vars"})
    return store_path


def smart_file(**options):
    data = {"plugin": SMART}
    data.update(options)
    return data


def hosts_of(listing):
    """Every host of an ``--list`` output (hosts without vars are missing from ``_meta.hostvars``)."""
    names = set(listing.get("_meta", {}).get("hostvars", {}))
    for group, data in listing.items():
        if group != "_meta":
            names.update(data.get("hosts", []))
    return sorted(names)


AWX_EXAMPLES = [
    ("name=localhost", ["localhost"]),
    ('ansible_facts__ansible_date_time__weekday_number="3"', ["localhost"]),
    ('ansible_facts__ansible_processor[]="GenuineIntel"', ["localhost"]),
    ('ansible_facts__ansible_lo__ipv6[]__scope="host"', ["localhost"]),
    ("ansible_facts__ansible_processor_vcpus=8", ["database", "localhost"]),
    ('ansible_facts__ansible_env__PYTHONUNBUFFERED="true"', ["localhost"]),
    ('(name=localhost or name=database) and (groups__name=east or groups__name="west coast") and ansible_facts__ansible_processor_vcpus=8',
     ["database", "localhost"]),
    ("search=nyc", ["database", "nyc-web1"]),
    ("group__search=ec2 and group__search=gce", ["cloud1"]),
    ("name=localhost or group__name=local", ["localhost"]),
    ("inventory__name='US-East' and search='nyc'", ["nyc-web1"]),
]


@pytest.mark.parametrize("host_filter, expected", AWX_EXAMPLES, ids=[e[0] for e in AWX_EXAMPLES])
def test_awx_doc_examples(filled, run_inventory, host_filter, expected):
    listing = run_inventory("--list", smart_file(host_filter=host_filter), inventory_filename="smart.yml")
    assert hosts_of(listing) == expected


def test_stored_smart_inventory_default_shape(filled, run_inventory):
    listing = run_inventory("--list", smart_file(inventory="eight-cpus"), inventory_filename="smart.yml")
    assert hosts_of(listing) == ["database", "localhost"]
    # AWX's shape: hosts only, no groups of the source inventories
    assert sorted(k for k in listing if k != "_meta") == ["all", "ungrouped"]
    assert sorted(listing["ungrouped"]["hosts"]) == ["database", "localhost"]
    local = listing["_meta"]["hostvars"]["localhost"]
    # one per name: the lowest id (US-East's localhost, not other's)
    assert local["where"] == "US-East"
    # the smart inventory's variables are all-group vars
    assert local["smart_level"] == "all-vars"
    # facts are not dumped into the host vars
    assert not any(k.startswith("ansible_processor") or k == "ansible_facts" for k in local)
    assert listing["_meta"]["hostvars"]["database"]["port"] == 5432


def test_graph_and_host(filled, run_inventory):
    graph = run_inventory("--graph", smart_file(inventory="eight-cpus"), inventory_filename="smart.yml")
    assert "@ungrouped:" in graph and "|--localhost" in graph and "|--database" in graph
    host = run_inventory("--host localhost", smart_file(inventory="eight-cpus"), inventory_filename="smart.yml")
    assert host["where"] == "US-East" and host["smart_level"] == "all-vars"
    # stored variables are trusted like an inventory file's: templates in them stay templates
    assert host["motd"] == "{{ inventory_hostname }} says hi"


def test_disabled_hosts_left_out_unless_asked(filled, run_inventory):
    # the filter applies before the one-per-name rule (AWX): other's localhost is the lowest id that matches
    listing = run_inventory("--list", smart_file(host_filter="inventory__name=other"), inventory_filename="smart.yml")
    assert hosts_of(listing) == ["localhost", "only-other"]
    assert listing["_meta"]["hostvars"]["localhost"]["where"] == "other"
    listing = run_inventory("--list", smart_file(host_filter="inventory__name=other", include_disabled=True), inventory_filename="smart.yml")
    assert hosts_of(listing) == ["disabled-one", "localhost", "only-other"]


def test_source_groups_nesting_and_group_vars(filled, run_inventory):
    inv = smart_file(host_filter="name=localhost or name=only-other or name=database", source_groups=True)
    listing = run_inventory("--list --export", inv, inventory_filename="smart.yml")
    # the hosts' groups, and their parents even without a matching host of their own
    assert sorted(listing["east"]["hosts"]) == ["localhost", "only-other"]
    assert listing["us"]["children"] == ["east"] and "hosts" not in listing["us"]
    assert listing["world"]["children"] == ["us"]
    assert listing["local"]["hosts"] == ["localhost"]
    assert listing["west coast"]["hosts"] == ["database"]
    assert "ec2-hosts" not in listing  # cloud1 is not selected
    # group vars; the same-named group of two inventories: merged, lowest inventory id wins
    assert listing["east"]["vars"] == {"zone": "east", "ntp": "ntp.east", "only_in_other": 1}
    assert listing["world"]["vars"] == {"planet": "earth"}
    assert "group 'east' is defined in several inventories with different values of 'zone'" in run_inventory.last.stderr.replace("\n", " ")
    graph = run_inventory("--graph", inv, inventory_filename="smart.yml")
    assert "  |--@world:\n  |  |--@us:\n  |  |  |--@east:\n  |  |  |  |--localhost\n  |  |  |  |--only-other\n" in graph, graph
    host = run_inventory("--host localhost", inv, inventory_filename="smart.yml")
    assert (host["zone"], host["country"], host["planet"]) == ("east", "us", "earth")


def test_compose_groups_keyed_groups_use_facts(filled, run_inventory):
    inv = smart_file(
        host_filter="inventory__name=US-East or inventory__name=west",
        compose={"cpus": "ansible_processor_vcpus | default(0)", "os": "ansible_facts.distribution | default('none') | lower"},
        groups={"intel": "'GenuineIntel' in (ansible_processor | default([]))", "big_memory": "ansible_memtotal_mb | default(0) > 16000"},
        keyed_groups=[{"prefix": "distro", "key": "ansible_facts.distribution | default('unknown')"},
                      {"prefix": "cpus", "key": "cpus | string"}],
    )
    listing = run_inventory("--list", inv, inventory_filename="smart.yml")
    assert hosts_of(listing) == ["cloud1", "database", "localhost", "nyc-web1"]
    assert listing["intel"]["hosts"] == ["localhost"]
    assert listing["big_memory"]["hosts"] == ["localhost"]
    assert sorted(listing["distro_Ubuntu"]["hosts"]) == ["localhost", "nyc-web1"]
    assert listing["distro_RedHat"]["hosts"] == ["database"]
    assert listing["distro_unknown"]["hosts"] == ["cloud1"]
    assert sorted(listing["cpus_8"]["hosts"]) == ["database", "localhost"]
    hv = listing["_meta"]["hostvars"]
    assert hv["cloud1"] == {"cpus": 0, "os": "none"}
    assert (hv["localhost"]["cpus"], hv["localhost"]["os"], hv["cloud1"]["os"]) == (8, "ubuntu", "none")
    # facts feed the expressions but are not host vars
    for name in hv:
        assert not [k for k in hv[name] if k.startswith(("ansible_processor", "ansible_distribution", "ansible_facts", "ansible_memtotal"))]


def test_strict_errors(filled, run_inventory):
    inv = smart_file(host_filter="name=cloud1", strict=True, compose={"cpus": "ansible_processor_vcpus * 2"})
    proc = run_inventory("--list", inv, expect_rc=1, inventory_filename="smart.yml")
    err = " ".join(proc.stderr.split())
    assert "smart.yml: Could not set cpus for host cloud1" in err
    assert "ansible_processor_vcpus" in err
    inv["strict"] = False
    listing = run_inventory("--list", inv, inventory_filename="smart.yml")
    assert hosts_of(listing) == ["cloud1"] and "cloud1" not in listing["_meta"]["hostvars"]
    keyed = smart_file(host_filter="name=cloud1", strict=True, keyed_groups=[{"key": "ansible_distribution", "prefix": "d"}])
    proc = run_inventory("--list", keyed, expect_rc=1, inventory_filename="smart.yml")
    assert "Could not generate group for host cloud1" in " ".join(proc.stderr.split())


def test_cache_on_off(filled, run_inventory, tmp_path):
    cache_dir = tmp_path / "inventory-cache"
    inv = smart_file(inventory="eight-cpus", cache=True, cache_plugin="ansible.builtin.jsonfile", cache_connection=str(cache_dir))
    assert hosts_of(run_inventory("--list", inv, inventory_filename="smart.yml")) == ["database", "localhost"]
    assert [p.name for p in cache_dir.iterdir() if SMART in p.name]
    with Store.open(filled) as s:
        host = s.save_host("west", "newcomer")[1]
        s.set_facts(host["id"], {"ansible_processor_vcpus": 8})
    # cache on: the cached result until it is refreshed
    assert hosts_of(run_inventory("--list", inv, inventory_filename="smart.yml")) == ["database", "localhost"]
    assert hosts_of(run_inventory("--list --flush-cache", inv, inventory_filename="smart.yml")) == ["database", "localhost", "newcomer"]
    with Store.open(filled) as s:
        s.delete_host("west", "newcomer")
    assert hosts_of(run_inventory("--list", inv, inventory_filename="smart.yml")) == ["database", "localhost", "newcomer"]
    # cache off: always the store
    inv["cache"] = False
    assert hosts_of(run_inventory("--list", inv, inventory_filename="smart.yml")) == ["database", "localhost"]


def test_cache_key_follows_the_store(filled, run_inventory, tmp_path, ansible_env):
    cache_dir = tmp_path / "inventory-cache"
    inv = smart_file(host_filter="name=localhost", cache=True, cache_plugin="ansible.builtin.jsonfile", cache_connection=str(cache_dir))
    assert hosts_of(run_inventory("--list", inv, inventory_filename="smart.yml")) == ["localhost"]
    other = str(tmp_path / "empty-store.db")
    Store.open(other).close()
    # same file contents, another store: not served from the first store's cache entry
    listing = run_inventory("--list", inv, inventory_filename="smart.yml", env={"FLEET_INVENTORY_STORE": other})
    assert hosts_of(listing) == []


def test_plugin_key_in_any_yaml_name(filled, run_inventory):
    listing = run_inventory("--list", smart_file(host_filter="name=cloud1"), inventory_filename="whatever.yml")
    assert hosts_of(listing) == ["cloud1"]


@pytest.mark.parametrize("options, reason", [
    ({"inventory": "no-such-inventory"}, "inventory 'no-such-inventory' does not exist"),
    ({"inventory": "west"}, "inventory 'west' is a normal inventory, not a smart inventory"),
    ({"inventory": "eight-cpus", "host_filter": "name=x"}, "give either 'inventory' or 'host_filter', not both"),
    ({}, "one of 'inventory' (a stored smart inventory's name) or 'host_filter' is required"),
    ({"host_filter": "name=localhost and (groups__name=east"}, "host_filter: unbalanced '(': missing ')' at column 20"),
    ({"host_filter": "name=localhost or"}, "host_filter: expected a term after 'or', found end of filter at column 18"),
])
def test_bad_input_errors(filled, run_inventory, options, reason):
    proc = run_inventory("--list", smart_file(**options), expect_rc=1, inventory_filename="bad.smart.yml")
    err = " ".join(proc.stderr.split())
    assert "bad.smart.yml: " + reason in err, err
    assert "Traceback" not in proc.stderr
