"""End-to-end fixtures: drive the real ansible binaries of the venv against this collection.

Fixtures
--------
``ansible_env``
    ``dict`` environment for a subprocess: the collection is found through the
    ``.pytest_collections`` symlink tree made by ``tests/conftest.py``; unparsable inventories
    fail; no colour, no retry files; localhost uses this venv's Python (a pyenv shim would
    exit 127); ``FLEET_INVENTORY_STORE`` is a per-test store (``ansible_env["FLEET_INVENTORY_STORE"]``):
    a SQLite file path, or with ``FLEET_TEST_BACKEND=postgresql`` the URL of a fresh database
    (``store_target``), with ``FLEET_INVENTORY_PROJECTS_ROOT`` under tmp_path.  Tests may modify the dict before calling the
    runners below (they read it at call time).

``run_playbook(playbook, extra_vars=None, check=False, diff=False, expect_rc=0, ...)``
    Writes the playbook (YAML text, a path, or a Python list of plays) and runs
    ``ansible-playbook -i localhost, -c local`` with a JSON stdout callback.  (ansible-core
    ships no ``json`` callback: that one lives in ansible.posix, which is not installed, so a
    small equivalent, ``fleet_test_json``, is written to a temp dir and put on
    ANSIBLE_CALLBACK_PLUGINS; it keeps ``diff`` and ``invocation`` and adds ``action``.)
    Returns a :class:`PlaybookResult` (a ``subprocess.CompletedProcess``) with
    ``.json`` (the whole callback document), ``.stats``, ``.tasks`` (flat list of
    :class:`TaskResult`) and ``.task(name, host="localhost")`` -> that host's result dict
    (``changed``, ``msg``, module return values ...).

``run_inventory(args, inventory_file_text=None, expect_rc=0, ...)``
    Runs ``ansible-inventory`` (``-i FILE`` added when ``inventory_file_text`` is given) and
    returns the parsed output: JSON for ``--list``/``--host`` (with ``{"__ansible_unsafe": v}``
    unwrapped recursively), YAML for ``--yaml``, text for ``--graph``/``--toml``.  When
    ``expect_rc`` is non-zero (or ``raw=True``) the ``CompletedProcess`` is returned instead.
    The last process is kept as ``run_inventory.last``.

``ansible_bin(name)``
    Path of an ansible executable next to ``sys.executable``.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import pytest
import yaml
from backends import BACKEND

# ansible-inventory --list (2.19+) wraps strings as {"__ansible_unsafe": v}; read it as the importer does
from ansible_collections.fleet.inventory.plugins.module_utils.rules.importer import unwrap_tagged as unwrap_unsafe

REPO = Path(__file__).resolve().parents[2]
COLLECTIONS_ROOT = REPO / ".pytest_collections"
DEFAULT_TIMEOUT = 600


# --------------------------------------------------------------------------------- helpers


def ansible_bin(name: str) -> str:
    """Return the ansible executable ``name`` installed next to this interpreter.

    ``sys.executable`` is deliberately not resolved: the venv's ``bin/python`` is a symlink to
    the base interpreter, while the console scripts live next to the symlink.
    """
    candidate = Path(sys.executable).parent / name
    if candidate.exists():
        return str(candidate)
    found = shutil.which(name)
    if found:
        return found
    raise FileNotFoundError(f"{name} not found next to {sys.executable} nor on PATH")


def _format_failure(proc: subprocess.CompletedProcess, expect_rc: int, limit: int = 12000) -> str:
    def tail(text: str | None) -> str:
        text = text or ""
        return text if len(text) <= limit else "...[cut]...\n" + text[-limit:]

    cmd = proc.args if isinstance(proc.args, str) else shlex.join(map(str, proc.args))
    return (
        f"command exited {proc.returncode}, expected {expect_rc}: {cmd}\n"
        f"--- stdout ---\n{tail(proc.stdout)}\n--- stderr ---\n{tail(proc.stderr)}"
    )


def _run(cmd: Sequence[str], env: Mapping[str, str], cwd: Path, timeout: int) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(c) for c in cmd],
        env=dict(env),
        cwd=str(cwd),
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        check=False,
    )


def _ensure_collection_link() -> None:
    """tests/conftest.py normally made it already; be safe when run on its own."""
    ns = COLLECTIONS_ROOT / "ansible_collections" / "fleet"
    ns.mkdir(parents=True, exist_ok=True)
    link = ns / "inventory"
    if not link.exists():
        try:
            link.symlink_to(REPO, target_is_directory=True)
        except FileExistsError:
            pass


# --------------------------------------------------------------------------------- callback

# Same document shape as ansible.posix.json: {"plays": [{"play": {...}, "tasks": [{"task":
# {...}, "hosts": {host: result}}]}], "stats": {host: {...}}}.  Kept as a string so that it is
# no plugin of the collection (not packaged, not documented, not sanity-tested as one).
JSON_CALLBACK_NAME = "fleet_test_json"
JSON_CALLBACK_SOURCE = '''
from __future__ import annotations

import json

from ansible.plugins.callback import CallbackBase
from ansible.vars.clean import strip_internal_keys

DOCUMENTATION = """
name: fleet_test_json
type: stdout
short_description: JSON document of all task results (test harness of fleet.inventory)
description: [Prints one JSON document at the end of the run, like ansible.posix.json.]
"""


def _result_of(result):
    res = getattr(result, "result", None)  # ansible-core >= 2.19
    if res is None:
        res = result._result
    return strip_internal_keys(dict(res))


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "stdout"
    CALLBACK_NAME = "fleet_test_json"

    def __init__(self, display=None):
        super().__init__(display)
        self.results = []

    def _new_task(self, task):
        return {"task": {"name": task.get_name(), "id": str(task._uuid), "action": task.action,
                         "handler": False},
                "hosts": {}}

    def v2_playbook_on_play_start(self, play):
        self.results.append({"play": {"name": play.get_name(), "id": str(play._uuid)}, "tasks": []})

    def v2_playbook_on_task_start(self, task, is_conditional):
        self.results[-1]["tasks"].append(self._new_task(task))

    def v2_playbook_on_handler_task_start(self, task):
        entry = self._new_task(task)
        entry["task"]["handler"] = True
        self.results[-1]["tasks"].append(entry)

    def _record(self, result, **extra):
        res = _result_of(result)
        res["action"] = result.task.action if hasattr(result, "task") else result._task.action
        res.update(extra)
        host = result.host if hasattr(result, "host") else result._host
        if not self.results or not self.results[-1]["tasks"]:
            return
        self.results[-1]["tasks"][-1]["hosts"][host.get_name()] = res

    def v2_runner_on_ok(self, result):
        self._record(result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record(result, failed=True, ignore_errors=bool(ignore_errors))

    def v2_runner_on_unreachable(self, result):
        self._record(result, unreachable=True)

    def v2_runner_on_skipped(self, result):
        self._record(result, skipped=True)

    def v2_playbook_on_stats(self, stats):
        summary = {h: stats.summarize(h) for h in sorted(stats.processed)}
        doc = {"plays": self.results, "stats": summary,
               "custom_stats": stats.custom, "global_custom_stats": stats.custom.get("_run", {})}
        self._display.display(json.dumps(doc, indent=2, sort_keys=True, default=str))
'''


# --------------------------------------------------------------------------------- results


@dataclass
class TaskResult:
    """One task of a play as reported by the json callback."""

    name: str
    play: str
    hosts: dict[str, dict[str, Any]] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)

    def host(self, host: str = "localhost") -> dict[str, Any]:
        try:
            return self.hosts[host]
        except KeyError:
            raise KeyError(f"task {self.name!r} has no result for host {host!r}; hosts: {sorted(self.hosts)}") from None


class PlaybookResult(subprocess.CompletedProcess):
    """CompletedProcess of ansible-playbook plus accessors for the json callback output."""

    def __init__(self, proc: subprocess.CompletedProcess, playbook_path: Path):
        super().__init__(proc.args, proc.returncode, proc.stdout, proc.stderr)
        self.playbook_path = playbook_path
        self._json: dict[str, Any] | None = None

    @property
    def json(self) -> dict[str, Any]:
        if self._json is None:
            text = self.stdout or ""
            start = text.find("{")  # anything printed before the document (rare) is skipped
            try:
                self._json = unwrap_unsafe(json.loads(text[start:] if start >= 0 else text))
            except ValueError as exc:
                raise AssertionError(
                    f"ansible-playbook did not print json callback output ({exc})\n"
                    + _format_failure(self, self.returncode)
                ) from None
        return self._json

    @property
    def stats(self) -> dict[str, dict[str, int]]:
        return self.json.get("stats", {})

    @property
    def tasks(self) -> list[TaskResult]:
        out = []
        for play in self.json.get("plays", []):
            play_name = play.get("play", {}).get("name", "")
            for task in play.get("tasks", []):
                out.append(
                    TaskResult(
                        name=task.get("task", {}).get("name", ""),
                        play=play_name,
                        hosts=task.get("hosts", {}),
                        raw=task,
                    )
                )
        return out

    def task(self, name: str, host: str = "localhost", index: int = -1) -> dict[str, Any]:
        """Result dict of the task called ``name`` on ``host`` (the last such task by default).

        ``name`` is the task's name as printed (for an unnamed task: the action, e.g.
        ``ansible.builtin.set_fact``)."""
        matches = [t for t in self.tasks if t.name == name]
        if not matches:
            raise KeyError(f"no task named {name!r}; tasks: {[t.name for t in self.tasks]}")
        return matches[index].host(host)

    def task_names(self) -> list[str]:
        return [t.name for t in self.tasks]


class InventoryRunner:
    """Callable behind the ``run_inventory`` fixture; keeps the last process as ``.last``."""

    def __init__(self, env: dict[str, str], tmp_path: Path, timeout: int = DEFAULT_TIMEOUT):
        self.env = env
        self.tmp_path = tmp_path
        self.timeout = timeout
        self.last: subprocess.CompletedProcess | None = None
        self._count = 0

    def write_inventory(self, text_or_data: str | Mapping | list, filename: str = "inventory.yml") -> Path:
        self._count += 1
        d = self.tmp_path / f"inventory-{self._count}"
        d.mkdir(parents=True, exist_ok=True)
        path = d / filename
        if isinstance(text_or_data, str):
            path.write_text(text_or_data)
        else:
            path.write_text(yaml.safe_dump(text_or_data, sort_keys=False))
        return path

    def __call__(
        self,
        args: str | Iterable[str] = ("--list",),
        inventory_file_text: str | Mapping | list | None = None,
        expect_rc: int | None = 0,
        *,
        inventory_filename: str = "inventory.yml",
        raw: bool = False,
        env: Mapping[str, str] | None = None,
        timeout: int | None = None,
    ) -> Any:
        argv = shlex.split(args) if isinstance(args, str) else [str(a) for a in args]
        cmd = [ansible_bin("ansible-inventory")]
        if inventory_file_text is not None:
            cmd += ["-i", str(self.write_inventory(inventory_file_text, inventory_filename))]
        cmd += argv
        run_env = dict(self.env)
        if env:
            run_env.update(env)
        proc = _run(cmd, run_env, self.tmp_path, timeout or self.timeout)
        self.last = proc
        if expect_rc is not None and proc.returncode != expect_rc:
            raise AssertionError(_format_failure(proc, expect_rc))
        if raw or proc.returncode != 0:
            return proc
        if "--graph" in argv or "--toml" in argv:
            return proc.stdout
        if "--yaml" in argv or "-y" in argv:
            return unwrap_unsafe(yaml.safe_load(proc.stdout))
        try:
            return unwrap_unsafe(json.loads(proc.stdout))
        except ValueError as exc:
            raise AssertionError(f"ansible-inventory output is not JSON ({exc})\n" + _format_failure(proc, 0)) from None


# --------------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="session")
def _json_callback_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("callback_plugins")
    (d / f"{JSON_CALLBACK_NAME}.py").write_text(JSON_CALLBACK_SOURCE)
    return d


@pytest.fixture
def ansible_env(tmp_path: Path, _json_callback_dir: Path, store_target: str) -> dict[str, str]:
    """Environment for running the venv's ansible binaries against this collection."""
    _ensure_collection_link()
    env = {k: v for k, v in os.environ.items() if k not in ("ANSIBLE_CONFIG", "ANSIBLE_INVENTORY")}
    home = tmp_path / "ansible-home"
    home.mkdir(exist_ok=True)
    venv_bin = str(Path(sys.executable).parent)
    env.update(
        {
            "PATH": venv_bin + os.pathsep + env.get("PATH", os.defpath),
            "ANSIBLE_COLLECTIONS_PATH": str(COLLECTIONS_ROOT),
            "ANSIBLE_HOME": str(home),
            "ANSIBLE_LOCAL_TEMP": str(home / "tmp"),
            "ANSIBLE_INVENTORY_UNPARSED_FAILED": "1",
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_FORCE_COLOR": "0",
            "ANSIBLE_RETRY_FILES_ENABLED": "0",
            "ANSIBLE_PYTHON_INTERPRETER": sys.executable,
            "ANSIBLE_LOCALHOST_WARNING": "0",
            "ANSIBLE_HOST_KEY_CHECKING": "0",
            "ANSIBLE_DEPRECATION_WARNINGS": "1",
            "PYTHONDONTWRITEBYTECODE": "1",
            "ANSIBLE_CALLBACK_PLUGINS": str(_json_callback_dir),
            "FLEET_INVENTORY_STORE": store_target if BACKEND == "postgresql" else str(tmp_path / "fleet-store.sqlite3"),
        }
    )
    if BACKEND == "postgresql":  # no store directory to put project checkouts beside
        env["FLEET_INVENTORY_PROJECTS_ROOT"] = str(tmp_path / "projects")
    return env


@pytest.fixture
def run_playbook(ansible_env: dict[str, str], tmp_path: Path):
    """Return ``run(playbook, extra_vars=None, check=False, diff=False, expect_rc=0, ...)``."""
    counter = {"n": 0}

    def run(
        playbook: str | os.PathLike | list,
        extra_vars: Mapping[str, Any] | None = None,
        check: bool = False,
        diff: bool = False,
        expect_rc: int | None = 0,
        *,
        inventory: str | os.PathLike = "localhost,",
        connection: str | None = "local",
        extra_args: Sequence[str] = (),
        env: Mapping[str, str] | None = None,
        timeout: int = DEFAULT_TIMEOUT,
    ) -> PlaybookResult:
        counter["n"] += 1
        work = tmp_path / f"playbook-{counter['n']}"
        work.mkdir(parents=True, exist_ok=True)
        if isinstance(playbook, list):
            path = work / "playbook.yml"
            path.write_text(yaml.safe_dump(playbook, sort_keys=False))
        elif isinstance(playbook, os.PathLike) or ("\n" not in str(playbook) and Path(str(playbook)).is_file()):
            path = Path(playbook)
        else:
            path = work / "playbook.yml"
            path.write_text(str(playbook))

        cmd = [ansible_bin("ansible-playbook"), "-i", str(inventory)]
        if connection:
            cmd += ["-c", connection]
        if extra_vars:
            ev = work / "extra_vars.json"
            ev.write_text(json.dumps(dict(extra_vars)))
            cmd += ["-e", f"@{ev}"]
        if check:
            cmd.append("--check")
        if diff:
            cmd.append("--diff")
        cmd += list(extra_args)
        cmd.append(str(path))

        run_env = dict(ansible_env)
        run_env["ANSIBLE_STDOUT_CALLBACK"] = JSON_CALLBACK_NAME
        if env:
            run_env.update(env)
        proc = PlaybookResult(_run(cmd, run_env, work, timeout), path)
        if expect_rc is not None and proc.returncode != expect_rc:
            raise AssertionError(_format_failure(proc, expect_rc))
        return proc

    return run


@pytest.fixture
def run_inventory(ansible_env: dict[str, str], tmp_path: Path) -> InventoryRunner:
    """Return ``run(args, inventory_file_text=None, expect_rc=0, ...)`` -> parsed output."""
    return InventoryRunner(ansible_env, tmp_path)
