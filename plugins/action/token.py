# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Runs fleet.inventory.token in the controller's Ansible process (see plugin_utils/store_action.py)."""

from __future__ import annotations

from ansible_collections.fleet.inventory.plugins.plugin_utils.store_action import StoreAction


class ActionModule(StoreAction):
    pass
