"""Run the examples of a Markdown document as a reader would paste them.

A section (from a ``## Heading`` to the next heading of the same or a higher level) is read
block by block, in order:

- a code block whose first line is ``# <file name>`` (``ini``, ``yaml``, ``cfg``...) is written
  to that file, relative to the working directory, exactly as shown;
- in a ``console`` block every line starting with ``$ `` is a command, run with bash in the
  working directory; the lines after it, up to the next command, are its expected output
  (when there are any, the command's stdout must be exactly those lines).

The commands share one shell state: exported variables and the current directory carry over
from one command to the next (``. venv/bin/activate`` works), as in a terminal.

Importable from any test module: tests/conftest.py puts this folder on ``sys.path``.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

FENCE = re.compile(r"^```(\w*)\s*$")


@dataclass
class Block:
    lang: str
    text: str
    line: int  # 1-based line of the opening fence


@dataclass
class Command:
    command: str
    expected: list[str] = field(default_factory=list)
    line: int = 0


def section(markdown: str, heading: str) -> str:
    """The text of the section titled ``heading`` (``## Install``), up to the next heading of its level or above."""
    level = len(heading) - len(heading.lstrip("#"))
    lines = markdown.splitlines()
    try:
        start = next(i for i, ln in enumerate(lines) if ln.strip() == heading.strip())
    except StopIteration:
        raise AssertionError(f"no section {heading!r} in the document") from None
    out = []
    fenced = False
    for ln in lines[start + 1:]:
        if FENCE.match(ln):
            fenced = not fenced
        if not fenced and ln.startswith("#"):
            hashes = len(ln) - len(ln.lstrip("#"))
            if ln[hashes:hashes + 1] == " " and hashes <= level:
                break
        out.append(ln)
    return "\n".join(out)


def blocks(text: str) -> list[Block]:
    """The fenced code blocks of ``text``, in order."""
    found = []
    lang = None
    body: list[str] = []
    start = 0
    for n, ln in enumerate(text.splitlines(), 1):
        m = FENCE.match(ln)
        if lang is None and m:
            lang, body, start = m.group(1), [], n
        elif lang is not None and ln.strip() == "```":
            found.append(Block(lang, "\n".join(body) + "\n", start))
            lang = None
        elif lang is not None:
            body.append(ln)
    assert lang is None, f"unclosed code block at line {start}"
    return found


def file_name(block: Block) -> str | None:
    """``setup.yml`` for a block starting with ``# setup.yml``; None for other blocks."""
    first = block.text.splitlines()[0] if block.text.strip() else ""
    m = re.match(r"^#\s+([\w./-]+\.(?:ya?ml|cfg|ini|json|py|sh|txt)|ansible\.cfg|hosts|inventory)\s*$", first)
    return m.group(1) if m else None


def commands(block: Block) -> list[Command]:
    """The ``$ `` commands of a console block with the output lines shown after each."""
    out: list[Command] = []
    for n, ln in enumerate(block.text.splitlines(), block.line + 1):
        if ln.startswith("$ "):
            out.append(Command(ln[2:], [], n))
        elif out:
            out[-1].expected.append(ln)
        elif ln.strip():
            raise AssertionError(f"console block at line {block.line}: output before the first command: {ln!r}")
    return out


@dataclass
class Step:
    command: str
    returncode: int
    stdout: str
    stderr: str


class Reader:
    """Runs a document's blocks in ``workdir`` with the environment ``env``."""

    def __init__(self, workdir: Path, env: dict[str, str], timeout: int = 900):
        self.workdir = Path(workdir)
        self.env = dict(env)
        self.timeout = timeout
        self.state = self.workdir.parent / (self.workdir.name + ".shell-state")
        self.state.write_text("cd %s\n" % shlex.quote(str(self.workdir)))
        self.steps: list[Step] = []

    def cwd(self) -> Path:
        text = self.state.read_text()
        m = re.search(r"^cd (.*)$", text, re.M)
        return Path(shlex.split(m.group(1))[0])

    def write(self, name: str, text: str) -> Path:
        path = self.cwd() / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return path

    def run(self, command: Command | str, check_output: bool = True) -> Step:
        cmd = command if isinstance(command, Command) else Command(command)
        state = shlex.quote(str(self.state))
        script = (
            f". {state}\n"
            f"{cmd.command}\n"
            "__rc=$?\n"
            f"{{ export -p; echo \"cd $(printf %q \"$PWD\")\"; }} > {state}\n"
            "exit $__rc\n"
        )
        proc = subprocess.run(["bash", "-c", script], env=self.env, cwd=str(self.workdir), capture_output=True,
                              text=True, timeout=self.timeout, stdin=subprocess.DEVNULL, check=False)
        step = Step(cmd.command, proc.returncode, proc.stdout, proc.stderr)
        self.steps.append(step)
        if proc.returncode != 0:
            raise AssertionError(f"line {cmd.line}: `{cmd.command}` exited {proc.returncode}\n" + self.log())
        if check_output and cmd.expected:
            got = [ln.rstrip() for ln in proc.stdout.rstrip("\n").splitlines()]
            want = [ln.rstrip() for ln in cmd.expected]
            assert got == want, f"line {cmd.line}: `{cmd.command}` printed\n{proc.stdout}\nthe document shows\n" + "\n".join(want)
        return step

    def run_section(self, text: str) -> list[Step]:
        """Write the file blocks and run the console blocks of ``text``, in order."""
        ran = []
        for block in blocks(text):
            name = file_name(block)
            if block.lang == "console":
                for cmd in commands(block):
                    ran.append(self.run(cmd))
            elif name:
                self.write(name, block.text)
        assert ran, "the section has no console commands"
        return ran

    def log(self, limit: int = 6000) -> str:
        parts = []
        for s in self.steps:
            parts.append(f"$ {s.command}  (rc {s.returncode})\n{s.stdout}{s.stderr}")
        text = "\n".join(parts)
        return text if len(text) <= limit else "...[cut]...\n" + text[-limit:]


def clean_env(home: Path, path_prefix: list[str] | None = None, drop_path: list[str] | None = None) -> dict[str, str]:
    """An environment with nothing of the test run's Ansible settings, and its own HOME.

    TMPDIR stays the run's (scripts/test.sh keeps it in its own temp dir): Ansible's worker RPC
    listens on a Unix socket under TMPDIR, whose path must stay under 108 characters, which a
    TMPDIR inside a test's tmp_path does not.
    """
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("ANSIBLE_", "FLEET_INVENTORY_", "VIRTUAL_ENV", "PYTHON", "PIP_REQUIRE"))}
    home.mkdir(parents=True, exist_ok=True)
    entries = [p for p in env.get("PATH", os.defpath).split(os.pathsep)
               if p and not any(os.path.realpath(p) == os.path.realpath(d) for d in (drop_path or []))]
    env.update({"HOME": str(home), "PATH": os.pathsep.join(list(path_prefix or []) + entries),
                "ANSIBLE_NOCOLOR": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PYTHONDONTWRITEBYTECODE": "1"})
    env.pop("XDG_DATA_HOME", None)
    env.pop("XDG_CONFIG_HOME", None)
    env.pop("XDG_CACHE_HOME", None)
    return env


def copy_checkout(repo: Path, dest: Path) -> Path:
    """Copy what git would commit (tracked and untracked-not-ignored files) of ``repo`` into ``dest``."""
    listed = subprocess.run(["git", "-C", str(repo), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            capture_output=True, check=True).stdout.decode().split("\0")
    dest.mkdir(parents=True, exist_ok=True)
    for rel in filter(None, listed):
        src = repo / rel
        if not src.is_file() and not src.is_symlink():
            continue  # deleted in the work tree
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if src.is_symlink():
            os.symlink(os.readlink(src), target)
        else:
            target.write_bytes(src.read_bytes())
            target.chmod(src.stat().st_mode & 0o777)
    return dest
