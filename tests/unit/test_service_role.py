# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The role fleet.inventory.service: every variable declared in meta/argument_specs.yml with its default.

The role itself is tested by the molecule scenario extensions/molecule/service (scripts/test.sh molecule).
"""

from __future__ import annotations

from pathlib import Path

import yaml

ROLE = Path(__file__).resolve().parents[2] / "roles" / "service"
PREFIX = "fleet_inventory_service_"


def _load(rel):
    return yaml.safe_load((ROLE / rel).read_text(encoding="utf-8"))


def test_every_default_is_declared_with_the_same_default():
    defaults = _load("defaults/main.yml")
    options = _load("meta/argument_specs.yml")["argument_specs"]["main"]["options"]
    assert sorted(defaults) == sorted(options)
    for name, value in defaults.items():
        assert name.startswith(PREFIX), name
        assert options[name].get("default") == value, name
        assert options[name].get("description"), name
        assert options[name].get("type"), name


def test_secrets_are_no_log():
    options = _load("meta/argument_specs.yml")["argument_specs"]["main"]["options"]
    for name in (PREFIX + "store", PREFIX + "secret_key"):
        assert options[name].get("no_log") is True, name


def test_tasks_that_carry_the_store_are_no_log():
    tasks = _load("tasks/present.yml")
    for task in tasks:
        module = task.get("ansible.builtin.template") or task.get("ansible.builtin.copy") or {}
        if module.get("src") in ("service.yml.j2", "service.env.j2") or "secret_key" in str(module.get("content", "")):
            assert task.get("no_log") is True, task["name"]
