# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    # The store option of every module.
    DOCUMENTATION = r"""
options:
  store:
    description:
      - Where the fleet.inventory store lives.
      - A filesystem path of a SQLite database file, or a libpq URL of a PostgreSQL database
        C(postgresql://[user[:password]@]host[:port]/dbname[?options]) (PostgreSQL 13 or newer, Python package
        C(psycopg) on the controller; a password may also come from E(PGPASSWORD) or C(~/.pgpass) and is never
        shown). A module that changes the store creates the file (or the schema in the database) on first use; M(fleet.inventory.host_info)
        only reads, and a store that does not exist (or an empty file) is an error that says
        where its name came from.
      - When not given, the environment variable E(FLEET_INVENTORY_STORE) is used, then
        C(store) in the C([fleet_inventory]) section of the C(ansible.cfg) that Ansible loaded
        (E(ANSIBLE_CONFIG), C(./ansible.cfg) of the directory C(ansible-playbook) runs in,
        C(~/.ansible.cfg), C(/etc/ansible/ansible.cfg); a relative path there is relative to the
        directory of that C(ansible.cfg)), then C(~/.local/share/fleet.inventory/store.db) (under
        E(XDG_DATA_HOME) when set). The inventory and cache plugins resolve it the same way.
    type: str
attributes:
  action:
    description: Runs as an action plugin in the controller's Ansible process, with no connection to the host.
    support: full
notes:
  - The store is changed in one transaction per task; a task that fails writes nothing.
  - Modules of this collection work on the store, which is on the controller. Each runs as an action plugin
    inside the controller's Ansible process, whatever the play's hosts are; nothing is sent to the host and no
    connection to it is opened, so C(connection=local), C(delegate_to=localhost) or an interpreter setting are
    not needed (a play over remote hosts can record each host's facts with M(fleet.inventory.host_facts)).
"""

    # The store option of inventory and cache plugins, with its configuration sources.
    PLUGIN = r"""
options:
  store:
    description:
      - Where the fleet.inventory store lives.
      - A filesystem path of a SQLite database file, or a libpq URL of a PostgreSQL database
        C(postgresql://[user[:password]@]host[:port]/dbname[?options]) (PostgreSQL 13 or newer, Python package
        C(psycopg) on the controller; a password may also come from E(PGPASSWORD) or C(~/.pgpass) and is never
        shown).
      - When not given, the environment variable E(FLEET_INVENTORY_STORE) is used, then
        C(store) in the C([fleet_inventory]) section of the C(ansible.cfg) that Ansible loaded
        (a relative path there is relative to the directory of that C(ansible.cfg)), then
        C(~/.local/share/fleet.inventory/store.db) (under E(XDG_DATA_HOME) when set).
      - The inventory plugins only read a store; one that does not exist, an empty (0-byte) file or
        a database without the fleet.inventory schema is an error naming the store and where its
        name came from. The cache plugin writes, and creates the store on first use.
      - Modules, inventory plugins and the cache plugin resolve it the same way.
    type: str
    env:
      - name: FLEET_INVENTORY_STORE
    ini:
      - section: fleet_inventory
        key: store
"""
