#!/usr/bin/env bash
# The fleet.inventory demo (`make demo`): fills a throw-away store with sample inventories and
# shows smart inventories through `ansible-inventory`.  Everything it writes goes under
# demo-output/ (git-ignored), which is recreated on every run.
#
#   scripts/demo.sh                        needs .venv (scripts/bootstrap.sh; `make demo` runs it first)
#   DEMO_OUTPUT=/tmp/x scripts/demo.sh     put the output somewhere else
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="$ROOT/.venv/bin"
OUT="${DEMO_OUTPUT:-$ROOT/demo-output}"

if [ ! -x "$BIN/ansible-playbook" ]; then
    echo "demo.sh: $BIN/ansible-playbook is missing - run scripts/bootstrap.sh (or make demo) first" >&2
    exit 2
fi

# Ansible finds a collection as <path>/ansible_collections/<namespace>/<name>: the demo points
# one at the checkout, inside its own output directory (made below).
# localhost must run this venv's Python (a pyenv shim on PATH would exit 127)
export ANSIBLE_PYTHON_INTERPRETER="$BIN/python"
export ANSIBLE_NOCOLOR=1 ANSIBLE_RETRY_FILES_ENABLED=0
export PATH="$BIN:$PATH"

rm -rf "$OUT"
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
export FLEET_INVENTORY_STORE="$OUT/store.db"
COLLECTIONS="$OUT/collections"
mkdir -p "$COLLECTIONS/ansible_collections/fleet"
ln -s "$ROOT" "$COLLECTIONS/ansible_collections/fleet/inventory"
export ANSIBLE_COLLECTIONS_PATH="$COLLECTIONS"

heading() {
    printf '\n==== %s\n' "$1"
    shift
    if [ $# -gt 0 ]; then printf '     %s\n' "$@"; fi
    printf '\n'
}

show() {
    printf '$ %s\n' "$*"
    "$@"
}

# ansible-inventory; an inventory file that does not parse is an error here, not a warning
inventory() {
    printf '$ ansible-inventory %s\n' "$*"
    ANSIBLE_INVENTORY_UNPARSED_FAILED=1 ansible-inventory "$@"
}

heading "1. Fill the store" \
    "store: $FLEET_INVENTORY_STORE (from FLEET_INVENTORY_STORE)" \
    "collection: $COLLECTIONS/ansible_collections/fleet/inventory -> $ROOT (ANSIBLE_COLLECTIONS_PATH)" \
    "playbooks/demo.yml imports East and West from INI files (playbooks/demo/east.ini, west.ini) and" \
    "Fleet (40 servers) from YAML (playbooks/demo/fleet.yml), loads facts from JSON files made by" \
    "playbooks/demo/make_facts.py, then stores five smart inventories.  Read it: $ROOT/playbooks/demo.yml"
(cd "$ROOT" && show ansible-playbook -i localhost, playbooks/demo.yml -e "demo_output_dir=$OUT")

# Inventory files for four of the smart inventories the playbook stored.
cat > "$OUT/ubuntu-web-8cpu.smart.yml" <<EOF
plugin: fleet.inventory.smart
store: $FLEET_INVENTORY_STORE
inventory: ubuntu-web-8cpu
# also show the groups the hosts have in their own inventory, with their group vars
source_groups: true
# cached facts are there for compose/groups/keyed_groups, as with ansible.builtin.constructed
compose:
  ansible_host: ansible_default_ipv4.address
keyed_groups:
  - prefix: release
    key: ansible_facts.distribution_release
EOF

cat > "$OUT/lo-ipv6-host.smart.yml" <<EOF
plugin: fleet.inventory.smart
store: $FLEET_INVENTORY_STORE
inventory: lo-ipv6-host
EOF

cat > "$OUT/nyc-not-debian.smart.yml" <<EOF
plugin: fleet.inventory.smart
store: $FLEET_INVENTORY_STORE
inventory: nyc-not-debian
source_groups: true
EOF

cat > "$OUT/product-dev-shutdown.smart.yml" <<EOF
plugin: fleet.inventory.smart
store: $FLEET_INVENTORY_STORE
inventory: product-dev-shutdown
source_groups: true
# the filter asks for disabled hosts; like AWX, a smart inventory leaves them out unless told
include_disabled: true
EOF

# A smart inventory file with its own host_filter: nothing needs to be stored for it.
cat > "$OUT/intel-db.smart.yml" <<EOF
plugin: fleet.inventory.smart
store: $FLEET_INVENTORY_STORE
host_filter: >-
  all_groups__name=db and ansible_facts__ansible_processor[]="GenuineIntel"
  and ansible_facts__ansible_processor_vcpus__gt=16
EOF

cd "$OUT"

heading "2. A stored smart inventory as an Ansible inventory" \
    "ubuntu-web-8cpu.smart.yml names the stored smart inventory 'ubuntu-web-8cpu': Ubuntu hosts under" \
    "the web group (at any depth) with 8 vCPUs or more.  source_groups adds the groups the hosts have" \
    "in their own inventory; keyed_groups adds release_* groups computed from the cached facts."
show cat ubuntu-web-8cpu.smart.yml
inventory -i ubuntu-web-8cpu.smart.yml --graph

heading "3. One host of it" \
    "--host shows what a playbook sees for web08: the group vars from Fleet (http_port, region) and" \
    "ansible_host, composed from its cached ansible_default_ipv4 fact."
inventory -i ubuntu-web-8cpu.smart.yml --host web08

heading "4. Fact search into an array: AWX's own example" \
    "ansible_facts__ansible_lo__ipv6[]__scope=\"host\": hosts whose lo has an IPv6 address of scope host." \
    "The servers whose number is a multiple of 5 run without IPv6, so they are not here."
show cat lo-ipv6-host.smart.yml
inventory -i lo-ipv6-host.smart.yml --graph

heading "5. 'not' and a group at any depth (beyond AWX)" \
    "nyc-not-debian.smart.yml names the stored smart inventory 'nyc-not-debian', whose host_filter is" \
    "all_groups__name=dc_nyc and not ansible_facts__ansible_os_family=Debian"
show cat nyc-not-debian.smart.yml
inventory -i nyc-not-debian.smart.yml --graph

heading "6. Across inventories: product_dev hosts that are shut down, in East and West" \
    "inventory_import stored the state=shutdown hosts as disabled (enabled_var=state, enabled_value=running);" \
    "the filter: (inventory__name=East or inventory__name=West) and groups__name=product_dev and enabled=false"
show cat product-dev-shutdown.smart.yml
inventory -i product-dev-shutdown.smart.yml --graph
inventory -i product-dev-shutdown.smart.yml --host host6

heading "7. An inline host_filter" \
    "intel-db.smart.yml carries its own host_filter instead of naming a stored smart inventory."
show cat intel-db.smart.yml
inventory -i intel-db.smart.yml --graph

# CONSTRUCTED INVENTORY DEMO
cat > "$OUT/constructed-playbook.yml" <<'EOF'
- name: A constructed inventory over East and West (AWX's seed example)
  hosts: localhost
  gather_facts: false
  tasks:
    - name: The constructed inventory, with its input inventories, constructed options and limit
      fleet.inventory.inventory:
        name: shutdown-product-dev
        kind: constructed
        input_inventories: [East, West]
        source_vars:
          strict: true
          compose:
            resolved_state: state | default("running")
          groups:
            shutdown: resolved_state == "shutdown"
            shutdown_in_product_dev: resolved_state == "shutdown" and account_alias == "product_dev"
        limit: shutdown_in_product_dev
    - name: Update it - its hosts are materialized in the store
      fleet.inventory.update_inventory_sources:
        inventory: shutdown-product-dev
    - name: The materialized hosts, found by a host_filter
      fleet.inventory.host_info:
        host_filter: inventory__name=shutdown-product-dev
      register: built
    - name: Show them
      ansible.builtin.debug:
        msg: "shutdown-product-dev constructed ({{ built.hosts | length }} hosts): {{ built.hosts | map(attribute='name') | sort | join(', ') }}"
EOF
cat > "$OUT/shutdown-product-dev.yml" <<EOF
plugin: fleet.inventory.constructed
store: $FLEET_INVENTORY_STORE
inventory: shutdown-product-dev
EOF

heading "8. Constructed inventory: the shut-down product_dev hosts across East and West" \
    "AWX's constructed-inventory example: compose resolved_state from state, group on it and on" \
    "account_alias, keep the group shutdown_in_product_dev with limit.  The module stores it, an" \
    "update materializes host2 and host6 (linked to their originals), the plugin reads it directly."
show cat constructed-playbook.yml
show ansible-playbook -i localhost, constructed-playbook.yml
show cat shutdown-product-dev.yml
inventory -i shutdown-product-dev.yml --graph
printf '%s\n' \
    "" \
    "(The empty @sustaining group: a constructed inventory keeps every group of its input inventories, as" \
    " AWX's does, and limit removes hosts only.  sustaining holds host3 and host5, neither of them in" \
    " shutdown_in_product_dev, so it is there without hosts.  @ungrouped is always there.)"

heading "Done" \
    "Everything above is in $OUT; the store is $FLEET_INVENTORY_STORE." \
    "To look further, in a shell of your own (the collection is found through $COLLECTIONS," \
    "or install it as the README's Install section says and leave ANSIBLE_COLLECTIONS_PATH out):" \
    "  . $BIN/activate" \
    "  export FLEET_INVENTORY_STORE=$FLEET_INVENTORY_STORE ANSIBLE_COLLECTIONS_PATH=$COLLECTIONS" \
    "  cd $OUT && ansible-inventory -i lo-ipv6-host.smart.yml --list"
