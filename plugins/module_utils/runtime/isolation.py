# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What an inventory script of a repository may see when an scm update (or the scm plugin) runs it.

A repository is code from elsewhere: its executable inventories run with
``ansible-inventory`` on the controller.  Two layers keep them from the
controller's secrets:

* :func:`inventory_environment` - a clean environment: only ``PATH``,
  ``HOME``, the locale, the ``ANSIBLE_*`` settings the update sets itself and
  the source's ``source_vars``.  Never ``FLEET_INVENTORY_STORE``, cloud
  credentials, tokens or an ssh agent.
* :func:`sandbox` - where ``bwrap`` (bubblewrap) is installed, the run is
  made in a sandbox that sees the checkout read-only, a private ``/tmp``, an
  empty home directory, its own process tree, and nothing of the store (its
  directory), of the projects root (other projects' checkouts) or of
  ``/home`` and ``/root``.  ``FLEET_INVENTORY_SCM_SANDBOX`` chooses:
  ``auto`` (the default: the sandbox when bwrap is installed and works here),
  ``bwrap`` (always; an update fails when it cannot be made) or ``off``.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys

from ansible_collections.fleet.inventory.plugins.module_utils.errors import ValidationError
from ansible_collections.fleet.inventory.plugins.module_utils.runtime.process import ProcessTimeout, run_process

ENV_SANDBOX = "FLEET_INVENTORY_SCM_SANDBOX"
SANDBOX_CHOICES = {"auto": "auto", "": "auto", "bwrap": "bwrap", "on": "bwrap", "true": "bwrap", "yes": "bwrap",
                   "1": "bwrap", "always": "bwrap", "off": "off", "false": "off", "no": "off", "0": "off", "never": "off",
                   "none": "off"}
#: variables of the controller an inventory run keeps (besides LC_*)
KEPT = ("PATH", "HOME", "LANG", "LANGUAGE", "TZ")
#: ANSIBLE_* settings the update sets for the run; the collection search path comes from the controller
ANSIBLE_SETTINGS = {
    "ANSIBLE_INVENTORY_UNPARSED_FAILED": "1",
    "ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED": "1",
    "ANSIBLE_NOCOLOR": "1",
    "ANSIBLE_FORCE_COLOR": "0",
}
ANSIBLE_PASSED = ("ANSIBLE_COLLECTIONS_PATH", "ANSIBLE_COLLECTIONS_PATHS")
#: always hidden in the sandbox (an empty tmpfs each)
HIDDEN = ("/tmp", "/var/tmp", "/home", "/root", "/run/user")
_PROBE = {}


def inventory_environment(source_env=None) -> dict:
    """The whole environment of an scm inventory run: what it needs, then ``source_env`` (the source_vars)."""
    env = {}
    for key, value in os.environ.items():
        if key in KEPT or key.startswith("LC_") or key in ANSIBLE_PASSED:
            env[key] = value
    env.setdefault("PATH", os.defpath)
    env.update(ANSIBLE_SETTINGS)
    env.update({str(k): str(v) for k, v in (source_env or {}).items()})
    return env


def sandbox_mode() -> str:
    """``auto``, ``bwrap`` or ``off`` from ``$FLEET_INVENTORY_SCM_SANDBOX``; ValidationError for another value."""
    raw = os.environ.get(ENV_SANDBOX, "auto")
    mode = SANDBOX_CHOICES.get(raw.strip().lower())
    if mode is None:
        raise ValidationError("%s=%s: use auto (the default), bwrap or off" % (ENV_SANDBOX, raw))
    return mode


def _bwrap_works(bwrap):
    """Whether bwrap can make a sandbox here (user namespaces may be forbidden); ``(ok, reason)``, cached."""
    if bwrap not in _PROBE:
        try:
            code, _out, err = run_process([bwrap, "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--unshare-pid",
                                           "--die-with-parent", "--", "true"], timeout=60)
            _PROBE[bwrap] = (code == 0, err.decode("utf-8", "replace").strip() or "exit %d" % code)
        except (OSError, ProcessTimeout) as exc:
            _PROBE[bwrap] = (False, str(exc))
    return _PROBE[bwrap]


def _under(path, parent) -> bool:
    return path == parent or path.startswith(parent.rstrip(os.sep) + os.sep)


def _code_paths(env):
    """Directories the run needs to see even inside a hidden one: Python, ansible, collections, PATH."""
    paths = [sys.prefix, sys.base_prefix, sys.exec_prefix, os.path.dirname(sys.executable),
             os.path.dirname(os.path.dirname(os.path.realpath(sys.executable)))]
    spec = importlib.util.find_spec("ansible")  # ansible-core's own files (site-packages)
    if spec is not None and spec.origin:
        paths.append(os.path.dirname(os.path.dirname(spec.origin)))
    here = os.path.abspath(__file__)
    if "ansible_collections" in here.split(os.sep):
        parts = here.split(os.sep)
        paths.append(os.sep.join(parts[:len(parts) - 1 - parts[::-1].index("ansible_collections")]) or os.sep)
    for key in ("PATH",) + ANSIBLE_PASSED:
        for entry in [p for p in env.get(key, "").split(os.pathsep) if p]:
            paths.append(entry)
            if os.path.basename(entry.rstrip(os.sep)) in ("bin", "sbin", "shims"):
                # a tool installed under a home (pyenv, cargo, ~/.local): its shims need the rest of it
                paths.append(os.path.dirname(entry.rstrip(os.sep)))
    out = []
    for path in paths:
        for candidate in (os.path.abspath(path), os.path.realpath(path)):
            if os.path.isdir(candidate) and candidate not in out:
                out.append(candidate)
    return out


def sandbox(checkout, hide=(), env=None):
    """``(argv prefix, description)`` of the sandbox for a run in ``checkout`` ( ``[]`` when there is none).

    ``hide``: more paths the run must not see (the store file, the projects
    root).  ``env`` is the run's environment (``HOME`` becomes an empty
    private directory).  Raises ValidationError when the sandbox is required
    (``bwrap``) but cannot be made.
    """
    mode = sandbox_mode()
    if mode == "off":
        return [], "sandbox: off (%s=off): the inventory run sees this machine as the update's user does" % ENV_SANDBOX
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        if mode == "bwrap":
            raise ValidationError("%s=bwrap but bwrap (bubblewrap) is not installed" % ENV_SANDBOX)
        return [], "sandbox: none (bwrap is not installed): the inventory run sees this machine as the update's user does"
    ok, reason = _bwrap_works(bwrap)
    if not ok:
        if mode == "bwrap":
            raise ValidationError("%s=bwrap but bwrap cannot make a sandbox here: %s" % (ENV_SANDBOX, reason))
        return [], "sandbox: none (bwrap cannot make a sandbox here: %s)" % reason
    env = env if env is not None else {}
    checkout = os.path.realpath(checkout)
    hidden_dirs, hidden_files = [], []
    home = env.get("HOME") or os.path.expanduser("~")
    for path in list(HIDDEN) + [home] + [p for p in hide if p]:
        real = os.path.realpath(path)
        if real == os.sep:
            continue
        if os.path.isdir(real):
            hidden_dirs.append(real)
        elif os.path.exists(real):
            hidden_files.append(real)
    protected = hidden_dirs + hidden_files
    hidden_dirs = sorted(set(hidden_dirs), key=len)
    tops = [d for i, d in enumerate(hidden_dirs) if not any(_under(d, o) for o in hidden_dirs[:i])]
    argv = [bwrap, "--die-with-parent", "--new-session", "--unshare-pid", "--unshare-ipc",
            "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc"]
    for path in tops:
        argv += ["--tmpfs", path]
    shown = []
    for path in sorted(_code_paths(env), key=len):
        # shown again: code under a hidden directory, unless it holds something hidden (or the checkout)
        if any(_under(path, top) for top in tops) and not any(_under(p, path) for p in protected + [checkout]) \
                and not any(_under(path, done) for done in shown):
            shown.append(path)
            argv += ["--ro-bind", path, path]
    for path in hidden_files:
        if not any(_under(path, top) for top in tops):
            argv += ["--ro-bind", "/dev/null", path]
    argv += ["--ro-bind", checkout, checkout, "--chdir", checkout, "--"]
    return argv, ("sandbox: bwrap - the checkout read-only, a private /tmp and home directory, its own processes;"
                  " hidden: %s" % ", ".join(tops + [f for f in hidden_files if not any(_under(f, t) for t in tops)]))
