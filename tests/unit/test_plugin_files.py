# -*- coding: utf-8 -*-
"""Which files each inventory plugin of the collection claims (ansible asks every enabled plugin)."""
from __future__ import annotations

import pytest

from ansible.plugins.loader import inventory_loader

PLUGINS = ["smart", "scm", "constructed"]


@pytest.mark.parametrize("short", PLUGINS)
def test_a_file_naming_the_plugin_is_claimed_by_it_alone(tmp_path, short):
    path = tmp_path / "site.yml"
    path.write_text("# comment\nplugin: fleet.inventory.%s  # trailing\n" % short)
    claims = {name: inventory_loader.get("fleet.inventory." + name).verify_file(str(path)) for name in PLUGINS}
    assert claims == {name: name == short for name in PLUGINS}


@pytest.mark.parametrize("short", PLUGINS)
def test_quoted_plugin_keys_are_recognised(tmp_path, short):
    plugin = inventory_loader.get("fleet.inventory." + short)
    for i, text in enumerate(["plugin: 'fleet.inventory.%s'\n", '"plugin": "fleet.inventory.%s"\n']):
        path = tmp_path / ("q%d.yaml" % i)
        path.write_text(text % short)
        assert plugin.verify_file(str(path)), text


@pytest.mark.parametrize("short, by_name", [("smart", True), ("scm", True), ("constructed", False)])
def test_file_name_suffix(tmp_path, short, by_name):
    """``*smart.yml`` and ``*scm.yml`` are claimed by name; a constructed file must say its plugin
    (``constructed.yml`` is ansible.builtin.constructed's name too)."""
    plugin = inventory_loader.get("fleet.inventory." + short)
    path = tmp_path / ("prod.%s.yml" % short)
    path.write_text("plugin: something.else\n")
    assert plugin.verify_file(str(path)) is by_name


@pytest.mark.parametrize("short", PLUGINS)
def test_non_yaml_and_missing_files_are_not_claimed(tmp_path, short):
    plugin = inventory_loader.get("fleet.inventory." + short)
    path = tmp_path / ("hosts.%s.json" % short)
    path.write_text('{"plugin": "fleet.inventory.%s"}' % short)
    assert plugin.verify_file(str(path)) is False
    assert plugin.verify_file(str(tmp_path / ("missing.%s.yml" % short))) is False
