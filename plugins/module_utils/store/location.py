# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where the store is: the store option, ``$FLEET_INVENTORY_STORE``, ansible.cfg, the default path.

Nothing here opens a database: :func:`locate_store` resolves a name into a
:class:`StoreLocation` (the target and where its name came from) that
:class:`~store.core.Store` opens.
"""

from __future__ import annotations

import configparser
import os

from ansible_collections.fleet.inventory.plugins.module_utils.errors import StoreError

ENV_STORE = "FLEET_INVENTORY_STORE"
CFG_SECTION = "fleet_inventory"

_UNKNOWN = object()

#: where a store's name came from (:attr:`StoreLocation.origin`)
ORIGIN_OPTION, ORIGIN_ENV, ORIGIN_CFG, ORIGIN_DEFAULT = "option", "environment", "ansible.cfg", "default"


def default_store_path() -> str:
    """``$XDG_DATA_HOME/fleet.inventory/store.db`` (``~/.local/share`` by default)."""
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return os.path.join(base, "fleet.inventory", "store.db")


class StoreLocation:
    """A resolved store: ``target`` (an absolute path or a URL) and where its name came from.

    ``origin`` is one of ``option``, ``environment``, ``ansible.cfg``,
    ``default``; ``config_file`` is the ansible.cfg that was consulted (the
    one Ansible loaded), or None when there was none.
    """

    def check_readable(self):
        """Raise StoreError unless the store exists as a store: a reader never creates one.

        A SQLite store must be an existing, non-empty file (a truncated,
        0-byte file is refused, never made into a fresh store); whether it
        holds fleet.inventory's schema is checked when it is opened
        (:meth:`Store.open_existing`).
        """
        target = self.target
        if target == ":memory:" or target.startswith(("postgresql://", "postgres://")):
            return
        if not os.path.exists(target):
            raise StoreError(
                "store %s does not exist (%s); a reader (inventory plugins, host_info) never creates a store: check the name, "
                "or create the store with a module that writes to it (for example fleet.inventory.inventory)" % (target, self.describe()))
        if os.path.isdir(target):
            raise StoreError("store path %s is a directory, not a SQLite database file (%s)" % (target, self.describe()))
        try:
            size = os.path.getsize(target)
        except OSError as exc:
            raise StoreError("cannot read store %s (%s): %s" % (target, self.describe(), exc.strerror or exc)) from exc
        if size == 0:
            raise StoreError(
                "store %s is an empty (0-byte) file, not a store (%s); it may have been truncated: restore it from a backup "
                "(see docs/store.md), or remove it to let a module that writes create a new, empty store" % (target, self.describe()))

    def __init__(self, target, origin, config_file=None, option_of=None):
        self.target = target
        self.origin = origin
        self.config_file = config_file
        self.option_of = option_of

    def __repr__(self):
        return "StoreLocation(%r, %r)" % (self.target, self.origin)

    def describe(self) -> str:
        """Where the name came from, in words ("named by ...")."""
        if self.origin == ORIGIN_OPTION:
            return "named by the store option%s" % (" of %s" % self.option_of if self.option_of else "")
        if self.origin == ORIGIN_ENV:
            return "named by the environment variable %s" % ENV_STORE
        if self.origin == ORIGIN_CFG:
            return "named by [%s] store in %s" % (CFG_SECTION, self.config_file)
        cfg = ("the ansible.cfg Ansible loaded (%s) has no [%s] store" % (self.config_file, CFG_SECTION) if self.config_file
               else "Ansible loaded no ansible.cfg (it reads $ANSIBLE_CONFIG, ./ansible.cfg of the current directory, "
                    "~/.ansible.cfg, /etc/ansible/ansible.cfg)")
        return "the default store: no store option, %s is not set, and %s" % (ENV_STORE, cfg)


def find_ansible_cfg():
    """The ansible.cfg that ansible-core itself would load, searched as it does, or None.

    Only for a process that was not told which file the controller loaded
    (see :func:`locate_store`): ``$ANSIBLE_CONFIG`` (a file or a directory),
    ``./ansible.cfg`` (unless the current directory is world-writable, which
    ansible-core refuses), ``~/.ansible.cfg``, ``/etc/ansible/ansible.cfg``.
    """
    cfg = os.environ.get("ANSIBLE_CONFIG")
    candidates = []
    if cfg:
        cfg = os.path.expanduser(cfg)
        candidates.append(os.path.join(cfg, "ansible.cfg") if os.path.isdir(cfg) else cfg)
    try:
        cwd = os.getcwd()
        if not os.stat(cwd).st_mode & 0o002:
            candidates.append(os.path.join(cwd, "ansible.cfg"))
    except OSError:
        pass
    candidates += [os.path.expanduser("~/.ansible.cfg"), "/etc/ansible/ansible.cfg"]
    for path in candidates:
        if os.path.isfile(path):
            return os.path.abspath(path)
    return None


def _ansible_cfg_paths():
    # kept for callers of older releases: the file find_ansible_cfg() picks
    found = find_ansible_cfg()
    if found:
        yield found


def _unquote(value: str) -> str:
    # ansible-core unquotes ini values: one pair of matching outer quotes
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value


def store_value_in_cfg(path):
    """``[fleet_inventory] store`` of the ansible.cfg ``path`` (read as ansible-core reads it), or None."""
    if not path or not os.path.isfile(path):
        return None
    parser = configparser.ConfigParser(inline_comment_prefixes=(";",))
    try:
        parser.read(path)
        value = parser.get(CFG_SECTION, "store", fallback="")
    except configparser.Error as exc:
        raise StoreError("cannot read [%s] store from %s: %s" % (CFG_SECTION, path, exc)) from exc
    value = _unquote(value.strip()).strip()
    return value or None


def cfg_relative(value, config_file):
    """A store named in ``config_file``: a relative path is relative to that file's directory."""
    if value.startswith(("postgresql://", "postgres://")):
        return value
    return os.path.join(os.path.dirname(os.path.abspath(config_file)), os.path.expanduser(value))


def store_from_ansible_cfg(config_file=_UNKNOWN):
    """``[fleet_inventory] store`` of the ansible.cfg in use (relative to its directory), or None."""
    if config_file is _UNKNOWN:
        config_file = controller_config_file()
    value = store_value_in_cfg(config_file)
    return cfg_relative(value, config_file) if value else None


def controller_config_file():
    """The ansible.cfg searched as ansible-core searches (:func:`find_ansible_cfg`).

    Only a caller that does not know the file its Ansible loaded uses this: the
    collection's action plugins run in the controller and pass
    ``ansible.constants.CONFIG_FILE`` to :func:`locate_store` themselves.
    """
    return find_ansible_cfg()


def _absolute(target):
    if target == ":memory:" or target.startswith(("postgresql://", "postgres://")):
        return target
    return os.path.abspath(os.path.expanduser(target))


def locate_store(store=None, config_file=_UNKNOWN, option_of=None) -> StoreLocation:
    """Where the store is, and why: the argument, then ``$FLEET_INVENTORY_STORE``,
    then ``[fleet_inventory] store`` of the ansible.cfg in use (``config_file``:
    the file Ansible loaded, None for none; by default :func:`controller_config_file`),
    then :func:`default_store_path`.  Blank values count as not given."""
    if store is not None and str(store).strip():
        return StoreLocation(_absolute(str(store).strip()), ORIGIN_OPTION, option_of=option_of)
    if config_file is _UNKNOWN:
        config_file = controller_config_file()
    env = os.environ.get(ENV_STORE, "").strip()
    if env:
        return StoreLocation(_absolute(env), ORIGIN_ENV, config_file)
    value = store_value_in_cfg(config_file)
    if value:
        return StoreLocation(_absolute(cfg_relative(value, config_file)), ORIGIN_CFG, config_file)
    return StoreLocation(default_store_path(), ORIGIN_DEFAULT, config_file)


def location_from_ansible(value, origin, config_file=None, option_of=None) -> StoreLocation:
    """A :class:`StoreLocation` from an Ansible plugin's ``get_option_and_origin('store')``.

    ansible-core's origins: ``Direct`` (the inventory file / task), ``env: NAME``,
    the path of the ini file it read, ``default``.
    """
    from_cfg = bool(origin) and os.path.isabs(str(origin))
    if value is not None and str(value).strip():
        value = str(value).strip()
        if from_cfg:
            return StoreLocation(_absolute(cfg_relative(_unquote(value), origin)), ORIGIN_CFG, origin)
        if str(origin).startswith("env:"):
            return StoreLocation(_absolute(value), ORIGIN_ENV, config_file)
        return StoreLocation(_absolute(value), ORIGIN_OPTION, option_of=option_of)
    return locate_store(None, config_file=config_file)


def resolve_store(store=None) -> str:
    """Where the store lives: the argument, then $FLEET_INVENTORY_STORE, then
    ansible.cfg ``[fleet_inventory] store``, then :func:`default_store_path`."""
    for candidate in (store, os.environ.get(ENV_STORE)):
        if candidate and str(candidate).strip():
            return str(candidate).strip()
    return store_from_ansible_cfg() or default_store_path()
