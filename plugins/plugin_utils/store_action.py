# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The action plugin every module of the collection runs through.

Every module of the collection only touches the controller's store, so its
action plugin runs the module's code in the controller's own Ansible process
(the pattern of ansible.utils and ansible.netcommon): nothing is sent to the
play's host, no connection is opened and no interpreter is looked for, so a
play over remote -- even unreachable -- hosts can run, say,
``fleet.inventory.host_facts`` for each of them.

Each module's ``main(task_class=FleetModule)`` builds its task object from its
argument spec; here :class:`InProcessTask` stands in for
:class:`~module_utils.module.FleetModule` with the same interface (``params``,
``check_mode``, ``_diff``, ``store``, ``guard``, ``warn``, ``fail_json``,
``exit_json``, ``exit_with_diff``, ``no_log_values``), so the argument spec,
the checks and every message stay in one place, the module file.  The
arguments are validated as AnsibleModule validates them; check mode and diff
come from the task; the store's ansible.cfg is ``ansible.constants.CONFIG_FILE``,
the file this process loaded; values marked ``no_log`` are censored from the
result.
"""

from __future__ import annotations

import importlib
import json

from ansible import constants as C
from ansible.module_utils.basic import jsonify
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.common.parameters import remove_values
from ansible.module_utils.errors import UnsupportedError
from ansible.plugins.action import ActionBase

from ansible_collections.fleet.inventory.plugins.module_utils.module import FleetModule
from ansible_collections.fleet.inventory.plugins.module_utils.store.core import Store, locate_store
from ansible_collections.fleet.inventory.plugins.module_utils.store.backends.postgresql import url_password

try:
    # PostgreSQL's driver, loaded once by the controller process that loads this plugin: each task runs in a
    # fresh fork of that process, which would otherwise import it again for every task on a postgresql:// store
    # (0.15-0.7 s on a busy machine, more than a whole host_info search)
    import psycopg  # noqa: F401  pylint: disable=unused-import
except ImportError:  # SQLite stores need nothing more
    psycopg = None

_VALIDATOR_OPTIONS = ("mutually_exclusive", "required_together", "required_one_of", "required_if", "required_by")


class _Finished(Exception):
    """Raised by exit_json/fail_json to end the task with ``result``."""

    def __init__(self, result):
        super().__init__()
        self.result = result


class InProcessTask:
    """FleetModule's interface, run inside the controller (see the module docstring)."""

    def __init__(self, name, args, check_mode, diff, argument_spec, reader=False, supports_check_mode=True, **kwargs):
        self._name = name
        self._reader = reader
        self._store = None
        self._warnings = []
        self.check_mode = check_mode
        self._diff = diff
        self.no_log_values = set()
        validator = ArgumentSpecValidator(argument_spec, **{k: kwargs.pop(k) for k in _VALIDATOR_OPTIONS if k in kwargs})
        if kwargs:
            raise TypeError("unexpected module options %s" % ", ".join(sorted(kwargs)))
        validation = validator.validate(_plain(args))
        self.params = validation.validated_parameters
        self.no_log_values.update(validation._no_log_values)
        for warning in validation._warnings:
            self.warn("Both option %s and its alias %s are set." % (warning["option"], warning["alias"]))
        if validation.error_messages:
            msg = validation.errors.msg
            if isinstance(validation.errors[0], UnsupportedError):
                msg = "Unsupported parameters for (%s) module: %s" % (name, msg)
            self.fail_json(msg=msg)
        if check_mode and not supports_check_mode:
            self.exit_json(skipped=True, msg="module (%s) does not support check mode" % name)

    # the store, resolved as the inventory plugins resolve it, with the ansible.cfg this process loaded
    @property
    def store(self):
        if self._store is None:
            location = self.guard(locate_store, self.params.get("store"), config_file=C.CONFIG_FILE or None, option_of="the task")
            password = url_password(location.target)
            if password:  # never in a result, whatever a message quotes
                self.no_log_values.add(password)
            if self._reader:
                self._store = self.guard(Store.open_existing, location)
            else:
                self._store = self.guard(Store.open, location, create=not self.check_mode)
        return self._store

    guard = FleetModule.guard
    exit_with_diff = FleetModule.exit_with_diff

    def warn(self, warning):
        self._warnings.append(str(warning))

    def exit_json(self, **result):
        if self._warnings:
            result["warnings"] = list(self._warnings)
        text = _json_text(result)
        plain = json.loads(text)
        if _mentions(text, self.no_log_values):
            preserved = {k: v for k, v in result.items() if v is None or isinstance(v, bool)}
            plain = remove_values(plain, self.no_log_values)
            plain.update(preserved)
        raise _Finished(plain)

    def fail_json(self, msg, **result):
        result.update(failed=True, msg=str(msg))
        self.exit_json(**result)

    def close(self):
        if self._store is not None:
            close = getattr(self._store, "close", None)
            if close is not None:
                close()


def _plain(value):
    """The task's arguments as plain JSON values (what a module would have received)."""
    return json.loads(jsonify(value))


def _json_text(result) -> str:
    """``result`` as JSON text, as a module's result travels.

    A result of plain JSON types (what the engine returns: a search of 1,000
    hosts is some 20,000 values) goes through the standard library's C
    encoder, tens of times faster than ansible's legacy encoder, which walks
    every value in Python; anything else (dates, bytes, sets, ansible's own
    types) falls back to ansible's encoder.
    """
    try:
        return json.dumps(result, allow_nan=False)
    except (TypeError, ValueError):
        return jsonify(result)


def _mentions(text, no_log_values) -> bool:
    """Whether any of ``no_log_values`` occurs in the JSON ``text`` of a result (and so must be censored).

    JSON escapes each character on its own, so a string that contains a value
    holds the escaped value in the text; a match across two strings only
    costs a censoring walk that finds nothing.  Most results mention none,
    and skip the walk over every value that censoring costs.
    """
    return any(json.dumps(str(value))[1:-1] in text for value in no_log_values if str(value))


class StoreAction(ActionBase):
    """Runs ``plugins/modules/<name>.py``'s ``main()`` in this process (see the module docstring)."""

    _supports_check_mode = True
    _supports_async = False
    TRANSFERS_FILES = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        name = self._task.resolved_action.rsplit(".", 1)[-1] if self._task.resolved_action else self._task.action.rsplit(".", 1)[-1]
        module = importlib.import_module("ansible_collections.fleet.inventory.plugins.modules.%s" % name)
        check_mode = bool(self._task.check_mode)
        diff = bool(self._task.diff)
        args = dict(self._task.args)
        made = []

        def task_class(argument_spec, **kwargs):
            task = InProcessTask(name, args, check_mode, diff, argument_spec, **kwargs)
            made.append(task)
            return task

        try:
            module.main(task_class)
        except _Finished as finished:
            result.update(finished.result)
        else:
            result.update(failed=True, msg="module %s ended without a result" % name)
        finally:
            for task in made:
                task.close()
        result.setdefault("changed", False)
        return result
