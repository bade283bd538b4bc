"""Real git repositories for the tests: a bare repository (its ``file://`` URL) and a work tree to commit into.

Importable from any test module: tests/conftest.py puts this folder on ``sys.path``.
"""

from __future__ import annotations

import subprocess


def git(*args, cwd=None):
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


class Repo:
    """A bare repository (``url``) and a work tree to commit into."""

    def __init__(self, root):
        self.bare = root / "origin.git"
        self.work = root / "work"
        git("init", "-q", "--bare", "-b", "main", str(self.bare))
        git("init", "-q", "-b", "main", str(self.work))
        git("config", "user.name", "Test", cwd=self.work)
        git("config", "user.email", "test@example.com", cwd=self.work)
        git("remote", "add", "origin", str(self.bare), cwd=self.work)
        self.url = "file://" + str(self.bare)

    def write(self, rel, text, mode=None):
        path = self.work / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        if mode:
            path.chmod(mode)
        return path

    def remove(self, rel):
        git("rm", "-q", "-r", rel, cwd=self.work)

    def commit(self, message="change", branch="main"):
        """Commit everything in the work tree, push it to ``branch``; returns the new HEAD."""
        git("add", "-A", cwd=self.work)
        git("commit", "-q", "--allow-empty", "-m", message, cwd=self.work)
        git("push", "-q", "origin", "HEAD:refs/heads/%s" % branch, cwd=self.work)
        return git("rev-parse", "HEAD", cwd=self.work)


def make_repo(root, files: dict) -> str:
    """A bare repository holding ``files`` (path: text) in one commit on main; returns its file:// URL."""
    repo = Repo(root)
    for rel, text in files.items():
        repo.write(rel, text)
    repo.commit("first")
    return repo.url
