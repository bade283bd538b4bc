# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The action plugin every module of the collection runs through.

A module runs as its own process, with the playbook's directory as its
working directory (ansible-core does that for the ``local`` connection), so it
cannot know which ``ansible.cfg`` the controller loaded: searching
``./ansible.cfg`` itself found the playbook directory's file, which
ansible-core had not read (it only reads ``./ansible.cfg`` of the directory it
was started in).  This action plugin runs in the controller and hands the
module ``ansible.constants.CONFIG_FILE`` -- the file ansible-core loaded, the
same one the inventory and cache plugins get their ``[fleet_inventory] store``
from -- in the environment variable ``FLEET_INVENTORY_ANSIBLE_CONFIG`` (empty
when no file was loaded).  A task's own ``environment:`` entry of that name
wins.  Everything else is what ansible's ``normal`` action does.
"""

from __future__ import annotations

from ansible import constants as C
from ansible.plugins.action import ActionBase
from ansible.utils.vars import merge_hash

from ansible_collections.fleet.inventory.plugins.module_utils.store import ENV_ANSIBLE_CONFIG


class StoreAction(ActionBase):

    _supports_check_mode = True
    _supports_async = True

    def _compute_environment_string(self, raw_environment_out=None):
        environment = {}
        super()._compute_environment_string(environment)
        environment.setdefault(ENV_ANSIBLE_CONFIG, C.CONFIG_FILE or "")
        if isinstance(raw_environment_out, dict):
            raw_environment_out.clear()
            raw_environment_out.update(environment)
        return self._connection._shell.env_prefix(**environment)

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        wrap_async = self._task.async_val
        result = merge_hash(result, self._execute_module(task_vars=task_vars, wrap_async=wrap_async))
        if not wrap_async:
            self._remove_tmp_path(self._connection._shell.tmpdir)
        return result
