# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one place where modules meet the engine.

:class:`FleetModule` adds the shared ``store`` option, opens the store and
turns every engine error into ``fail_json`` with the engine's message, so each
module is a thin adapter: parse its options, call the store, report.
"""

from __future__ import annotations

import traceback

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

try:
    from ansible_collections.fleet.inventory.plugins.module_utils.errors import FleetInventoryError
    from ansible_collections.fleet.inventory.plugins.module_utils.store.core import Store, locate_store

    IMPORT_ERROR = None
except ImportError:  # pragma: no cover - pyparsing missing on the controller
    IMPORT_ERROR = traceback.format_exc()

STORE_SPEC = dict(store=dict(type="str"))


def argument_spec(**options) -> dict:
    """The module's own options plus the shared ``store`` option."""
    spec = dict(STORE_SPEC)
    spec.update(options)
    return spec


class FleetModule(AnsibleModule):
    """``reader=True``: a module that only reads (host_info) never creates a store.

    The store is resolved as the inventory plugins resolve it (see
    :func:`store.locate_store`).  In a playbook the collection's action
    plugins run each module's ``main()`` in the controller's process with
    their own task class of this interface (plugin_utils/store_action.py);
    this class is the module path (a module file run by itself).
    """

    def __init__(self, argument_spec, reader=False, **kwargs):
        kwargs.setdefault("supports_check_mode", True)
        self._reader = reader
        super().__init__(argument_spec=argument_spec, **kwargs)
        if IMPORT_ERROR:
            self.fail_json(msg=missing_required_lib("pyparsing"), exception=IMPORT_ERROR)
        self._store = None

    @property
    def store(self) -> "Store":
        if self._store is None:
            location = self.guard(locate_store, self.params.get("store"), option_of="the task")
            if self._reader:
                self._store = self.guard(Store.open_existing, location)
            else:
                self._store = self.guard(Store.open, location, create=not self.check_mode)
        return self._store

    def guard(self, func, *args, **kwargs):
        """Call ``func``; an engine error becomes ``fail_json`` with its message."""
        try:
            return func(*args, **kwargs)
        except FleetInventoryError as exc:
            self.fail_json(msg=str(exc))

    def exit_with_diff(self, before, after, fields, **result):
        """Exit reporting ``changed`` from comparing ``fields`` of before/after, with a diff."""
        view_before = {k: before[k] for k in fields if k in before} if before else {}
        view_after = {k: after[k] for k in fields if k in after} if after else {}
        changed = view_before != view_after or (before is None) != (after is None)
        if self._diff:
            result["diff"] = dict(before=view_before, after=view_after)
        self.exit_json(changed=changed, **result)
