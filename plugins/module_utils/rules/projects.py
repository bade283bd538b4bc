# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Git projects: definitions, checkouts, project updates, suggested inventory files.

A project is a git repository (``scm_url``, ``scm_branch``, optional
``scm_refspec`` and credential) checked out into a directory managed next to
the store (``<store dir>/projects/<id>__<slug>``).  A project update fetches
it, checks out the branch (or tag, or commit), and records what happened as a
``project_updates`` row, as AWX does: status ``running`` then ``successful``
or ``failed``, the revision, the log (``result_stdout``) and a one-line
reason (``job_explanation``).

Git runs outside any store transaction (it may take long): the update record
is committed as ``running`` first, then git runs, then the outcome is written
in a second transaction.  Two updates of one project never touch its checkout
at the same time (a lock file next to the checkout).  The record names the
process running it (pid, start time, machine): a record left ``running`` by
a process that died reads as failed (:func:`project_state`) until the next
update, which holds the lock, records it so.

Credentials: an SSH private key file (``GIT_SSH_COMMAND`` with ``-i``,
``IdentitiesOnly`` and ``StrictHostKeyChecking=accept-new``) and/or an https
username and password, given to git by a credential helper defined in git's
environment (``GIT_CONFIG_*``), never written to the checkout's
``.git/config`` nor to the update's log.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import tempfile
import threading
import time
from urllib.parse import urlsplit, urlunsplit

from ansible_collections.fleet.inventory.plugins.module_utils.common import canonical_json, now
from ansible_collections.fleet.inventory.plugins.module_utils.errors import FleetInventoryError, GitError, NotFound, ValidationError  # noqa: F401
from ansible_collections.fleet.inventory.plugins.module_utils.runtime.process import ProcessTimeout, record_alive, run_process, this_process

# environment variable that moves every project checkout under another directory
ENV_PROJECTS_ROOT = "FLEET_INVENTORY_PROJECTS_ROOT"
GIT_TIMEOUT = 600
ACTIVE = ("pending", "running")
# why a record left running is failed: by the next update (which holds the lock), and as readers show it meanwhile
UPDATE_ENDED = "the process running this update ended before it finished"
MAX_INVENTORY_FILES = 50
LOG_TAIL = 4000
MASK = "$encrypted$"
SCM_TYPES = ("git",)
CREDENTIAL_KEYS = ("username", "password", "ssh_key_file")
PROJECT_FIELDS = ("name", "description", "scm_type", "scm_url", "scm_branch", "scm_refspec", "credential")
_SCP_LIKE = re.compile(r"^(?:[A-Za-z0-9._-]+@)?[A-Za-z0-9.-]+:(?!//)[^\s]*$")
_URL_SCHEMES = ("https", "http", "ssh", "git+ssh", "ssh+git", "git", "file")
# AWX's rule for files without an extension: every one of the first 10 lines starts like an inventory line
_INVENTORY_LINE = re.compile(r"^[a-zA-Z0-9_.=\[\]]")
_SKIP_DIRS = ("roles", "tasks", "group_vars", "host_vars")
_YAML_EXT = (".yml", ".yaml")
# variables of a surrounding git process (a hook, a test) that would redirect our git commands
_GIT_CONTEXT_VARS = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY", "GIT_COMMON_DIR",
                     "GIT_ASKPASS", "SSH_ASKPASS")
_YAML_HEAD = 65536
_YAML_PLUGIN = re.compile(r"^plugin\s*:\s*\S", re.MULTILINE)
_YAML_GROUP_KEY = re.compile(r"^[ \t]+(hosts|children)\s*:\s*(#.*)?$", re.MULTILINE)


# -- project records ----------------------------------------------------------------


def _slug(name: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("._") or "project"
    return slug[:60]


def _project_row(row, store=None):
    if row is None:
        return None
    row = dict(row)
    row["credential"] = json.loads(row["credential"] or "{}")
    row["inventory_files"] = json.loads(row["inventory_files"] or "[]")
    if store is not None and row["status"] in ACTIVE:
        row["status"] = project_state(store, row["id"], row["status"])[0]
    return row


def project_state(store, project_id, status=None):
    """``(status, explanation)`` of a project as a reader must see it, without writing anything.

    A project left ``running`` by an update whose process died (no such pid, a
    zombie, a pid now used by another process; see :func:`process.record_alive`)
    is ``failed``, with :data:`UPDATE_ENDED` naming the update and the pid as
    the explanation; the next update of the project records it so.  Otherwise
    the stored status and an empty explanation.
    """
    if status is None:
        row = store.query_one("SELECT status FROM projects WHERE id = ?", (int(project_id),))
        status = row["status"] if row else ""
    if status not in ACTIVE:
        return status, ""
    active = store.query("SELECT * FROM project_updates WHERE project_id = ? AND status IN ('pending', 'running') ORDER BY id",
                         (int(project_id),))
    dead = [r for r in active if not record_alive(r)]
    if active and len(dead) < len(active):
        return status, ""
    if not dead:
        return "failed", "%s (no update of the project is running)" % UPDATE_ENDED
    return "failed", "%s (project update %s, pid %s)" % (UPDATE_ENDED, dead[-1]["id"], dead[-1]["pid"])


def public_project(project):
    """A project as shown to users: the credential's password masked as AWX does."""
    if project is None:
        return None
    shown = dict(project)
    cred = dict(shown.get("credential") or {})
    if cred.get("password"):
        cred["password"] = MASK
    shown["credential"] = cred
    return shown


def get_project(store, name_or_id):
    """The project (a dict with the ``projects`` table's fields), or None."""
    if isinstance(name_or_id, int) and not isinstance(name_or_id, bool):
        row = store.query_one("SELECT * FROM projects WHERE id = ?", (name_or_id,))
    else:
        row = store.query_one("SELECT * FROM projects WHERE name = ?", (str(name_or_id),))
    return _project_row(row, store)


def require_project(store, name_or_id):
    """The project, or :class:`NotFound`."""
    project = get_project(store, name_or_id)
    if project is None:
        raise NotFound("project '%s' does not exist" % name_or_id)
    return project


def list_projects(store) -> list:
    return [_project_row(r, store) for r in store.query("SELECT * FROM projects ORDER BY id")]


# scp-like ``user:password@host:path``: git would read "user" as the host; the user meant a credential
_SCP_WITH_PASSWORD = re.compile(r"^(?P<user>[^@/:\s]+):(?P<password>.*)@(?P<host>[A-Za-z0-9.-]+|\[[^\]/]+\]):(?!//)(?P<path>.*)$")


def _split_url_credentials(url):
    """``scheme://user:secret@host/x`` -> (``scheme://user@host/x``, user, secret); the secret never stays in a URL.

    (http(s) URLs lose the user as well: git's credential helper gives both.)

    Every URL form is cleaned alike: http(s), ssh (``ssh://``, ``git+ssh://``,
    ``ssh+git://``), ``git://`` and the scp-like ``user:secret@host:path``.
    Returns ``(url, None, None)`` when the URL carries no password.
    """
    url = url or ""
    if "://" in url:
        try:
            parts = urlsplit(url)
            password = parts.password
        except ValueError:
            return url, None, None
        if parts.scheme.lower() == "file" or password is None:
            return url, None, None
        host = parts.hostname or ""
        if ":" in host:
            host = "[%s]" % host
        if parts.port:
            host += ":%d" % parts.port
        # http(s): the user goes to the credential helper too; ssh needs it in the URL (ssh://user@host)
        user = "" if parts.scheme.lower() in ("http", "https") else (parts.username or "")
        netloc = "%s@%s" % (user, host) if user else host
        return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment)), parts.username or None, password
    match = _SCP_WITH_PASSWORD.match(url)
    if match:
        return "%s@%s:%s" % (match["user"], match["host"], match["path"]), match["user"], match["password"]
    return url, None, None


split_url_credentials = _split_url_credentials


def url_secret(url):
    """The password a URL carries (any form), or None: what a module must mask in its own output."""
    return _split_url_credentials(str(url or "").strip())[2] or None


def validate_ref(value: str, what: str) -> str:
    """A branch, tag, commit or refspec: nothing git could read as an option, no whitespace or control characters."""
    value = (value or "").strip()
    for part in value.split() if what == "scm_refspec" else [value]:
        if part.startswith("-") or re.search(r"[\x00-\x20\x7f]", part):
            raise ValidationError("%s '%s' is not a valid git reference" % (what, value))
    return value


def validate_scm_url(url: str) -> str:
    url = (url or "").strip()
    shown = _split_url_credentials(url)[0]  # an error message never shows a password
    if not url:
        raise ValidationError("scm_url must not be empty")
    if url.startswith("-") or re.search(r"[\x00-\x20\x7f]", url):
        raise ValidationError("scm_url '%s' is not a git URL" % shown)
    if "://" in url:
        scheme = url.split("://", 1)[0].lower()
        if scheme not in _URL_SCHEMES:
            raise ValidationError("scm_url '%s': unsupported scheme '%s'; use https://, ssh:// or file://" % (shown, scheme))
        if scheme == "file" and not url[len("file://"):].startswith("/"):
            raise ValidationError("scm_url '%s': a file:// URL needs an absolute path (file:///srv/repo.git)" % shown)
        return url
    if _SCP_LIKE.match(url) and not url.startswith("/"):
        return url  # git@host:path/repo.git
    raise ValidationError("scm_url '%s' is not a git URL; use https://host/repo.git, ssh://host/repo.git, "
                          "git@host:repo.git or file:///path/to/repo" % shown)


def _credential(before_cred, username, password, ssh_key_file):
    cred = dict(before_cred or {})
    for key, value in (("username", username), ("password", password), ("ssh_key_file", ssh_key_file)):
        if value is None:
            continue
        if value == "":
            cred.pop(key, None)
        else:
            cred[key] = value
    if cred.get("ssh_key_file"):
        path = os.path.expanduser(cred["ssh_key_file"])
        if not os.path.isabs(path):
            raise ValidationError("scm_ssh_key_file '%s' must be an absolute path" % cred["ssh_key_file"])
        cred["ssh_key_file"] = path
    if cred.get("password") and not cred.get("username"):
        raise ValidationError("scm_password needs scm_username")
    return cred


def save_project(store, name, description=None, scm_type=None, scm_url=None, scm_branch=None, scm_refspec=None,
                 username=None, password=None, ssh_key_file=None):
    """Create or change a project; returns ``(before, after, changed)`` (raw dicts; see :func:`public_project`).

    Options left as None keep their stored value (or the default on create);
    an empty string clears a credential field.  A password given inside the
    URL (any form: https, ssh, scp-like ``user:secret@host:path``) is moved
    into the credential.
    """
    if not name or not str(name).strip():
        raise ValidationError("project name must not be empty")
    if scm_type is not None and scm_type not in SCM_TYPES:
        raise ValidationError("scm_type must be 'git', not '%s'" % scm_type)
    with store.transaction():
        before = get_project(store, name)
        if before is None and not scm_url:
            raise ValidationError("project '%s' does not exist; scm_url is required to create it" % name)
        new = {k: before[k] for k in PROJECT_FIELDS} if before else {
            "name": name, "description": "", "scm_type": "git", "scm_url": "", "scm_branch": "", "scm_refspec": "",
            "credential": {}}
        if description is not None:
            new["description"] = description
        if scm_url is not None:
            url, url_user, url_password = _split_url_credentials(str(scm_url).strip())
            url = validate_scm_url(url)
            if url_password is not None:
                username = username if username is not None else url_user
                password = password if password is not None else url_password
            new["scm_url"] = url
        if scm_branch is not None:
            new["scm_branch"] = validate_ref(scm_branch, "scm_branch")
        if scm_refspec is not None:
            new["scm_refspec"] = validate_ref(scm_refspec, "scm_refspec")
        new["credential"] = _credential(new["credential"], username, password, ssh_key_file)
        stamp = now()
        if before is None:
            cur = store.execute(
                "INSERT INTO projects (name, description, scm_type, scm_url, scm_branch, scm_refspec, credential, created, modified)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (name, new["description"], "git", new["scm_url"], new["scm_branch"], new["scm_refspec"],
                 canonical_json(new["credential"]), stamp, stamp))
            pid = cur.lastrowid
            store.execute("UPDATE projects SET local_path = ? WHERE id = ?", ("%d__%s" % (pid, _slug(name)), pid))
            changed = True
        else:
            changed = any(canonical_json(new[k]) != canonical_json(before[k]) for k in PROJECT_FIELDS)
            if changed:
                store.execute(
                    "UPDATE projects SET description = ?, scm_url = ?, scm_branch = ?, scm_refspec = ?, credential = ?,"
                    " modified = ? WHERE id = ?",
                    (new["description"], new["scm_url"], new["scm_branch"], new["scm_refspec"],
                     canonical_json(new["credential"]), stamp, before["id"]))
        return before, get_project(store, name), changed


def scm_fields_changed(before, after) -> bool:
    """Whether what is fetched changed (AWX updates a project when these change)."""
    if before is None:
        return True
    return any(canonical_json(before[k]) != canonical_json(after[k])
               for k in ("scm_url", "scm_branch", "scm_refspec", "credential"))


def delete_project(store, name):
    """Delete a project and its update records; refused while an inventory source uses it.

    Returns the deleted project (or None).  The checkout is removed by
    :func:`remove_checkout` once the transaction is committed.
    """
    with store.transaction():
        before = get_project(store, name)
        if before is None:
            return None
        users = store.query(
            "SELECT s.name AS source, i.name AS inventory FROM inventory_sources s JOIN inventories i ON i.id = s.inventory_id"
            " WHERE s.source_project_id = ? ORDER BY i.name, s.name", (before["id"],))
        if users:
            raise ValidationError("project '%s' is the source_project of %s; delete those sources or point them elsewhere first"
                                  % (name, ", ".join("inventory source '%s' of inventory '%s'" % (u["source"], u["inventory"])
                                                     for u in users)))
        store.execute("DELETE FROM projects WHERE id = ?", (before["id"],))
        return before


def remove_checkout(store, project):
    path = project_checkout_path(store, project)
    if os.path.isdir(path):
        shutil.rmtree(path, ignore_errors=True)
    try:
        os.unlink(path + ".lock")
    except OSError:
        pass


# -- where checkouts live -----------------------------------------------------------------


def projects_root(store) -> str:
    """``$FLEET_INVENTORY_PROJECTS_ROOT``, else ``<store dir>/projects`` (a temp dir for an in-memory store)."""
    env = os.environ.get(ENV_PROJECTS_ROOT)
    if env and env.strip():
        return os.path.abspath(os.path.expanduser(env.strip()))
    target = getattr(store, "target", "") or ""
    if target == ":memory:" or target.startswith(("postgresql://", "postgres://", "file:")):
        root = getattr(store, "_fleet_projects_root", None)
        if root is None:
            root = tempfile.mkdtemp(prefix="fleet.inventory-projects-")
            store._fleet_projects_root = root
        return root
    return os.path.join(os.path.dirname(os.path.abspath(os.path.expanduser(target))), "projects")


def make_private_dir(path):
    """Create ``path`` (and missing parents) readable by its owner only (0700); an existing directory is left as it is.

    The projects root holds every project's checkout: no other user may read a
    repository (or a script's output) through it.
    """
    if os.path.isdir(path):
        return
    parent = os.path.dirname(path)
    if parent and parent != path and not os.path.isdir(parent):
        make_private_dir(parent)
    try:
        os.mkdir(path, 0o700)
    except FileExistsError:
        return
    os.chmod(path, 0o700)


def project_checkout_path(store, project) -> str:
    """Absolute path of the project's checkout (it may not exist yet)."""
    if not isinstance(project, dict):
        project = require_project(store, project)
    local = project.get("local_path") or "%d__%s" % (project["id"], _slug(project["name"]))
    return os.path.join(projects_root(store), local)


# -- running git ----------------------------------------------------------------------------


def git_env(credential=None) -> dict:
    """git's environment: no prompts, the SSH key and the https credential helper (secrets only here)."""
    cred = credential or {}
    env = dict(os.environ)
    for key in [k for k in env if k.startswith("GIT_CONFIG_") or k in _GIT_CONTEXT_VARS]:
        env.pop(key, None)
    env.update({"GIT_TERMINAL_PROMPT": "0", "GIT_SSH_VARIANT": "ssh", "LC_ALL": "C"})
    config = [("advice.detachedHead", "false")]
    if cred.get("ssh_key_file"):
        env["GIT_SSH_COMMAND"] = " ".join([
            "ssh", "-i", shlex.quote(cred["ssh_key_file"]), "-o", "IdentitiesOnly=yes",
            "-o", "StrictHostKeyChecking=accept-new", "-o", "BatchMode=yes"])
    else:
        env["GIT_SSH_COMMAND"] = "ssh -o StrictHostKeyChecking=accept-new -o BatchMode=yes"
    if cred.get("username") or cred.get("password"):
        # an empty helper first resets any helper of the user's config; ours reads the secret from
        # the environment of git's own process: nothing is written to .git/config or the log
        env["FLEET_GIT_USERNAME"] = cred.get("username") or ""
        env["FLEET_GIT_PASSWORD"] = cred.get("password") or ""
        config += [("credential.helper", ""),
                   ("credential.helper",
                    '!f() { test "$1" = get || exit 0; echo "username=$FLEET_GIT_USERNAME"; '
                    'echo "password=$FLEET_GIT_PASSWORD"; }; f')]
    env["GIT_CONFIG_COUNT"] = str(len(config))
    for i, (key, value) in enumerate(config):
        env["GIT_CONFIG_KEY_%d" % i] = key
        env["GIT_CONFIG_VALUE_%d" % i] = value
    return env


class _Git:
    """Runs git commands in one checkout, collecting a masked log."""

    def __init__(self, cwd, credential, timeout, deadline=None):
        self.cwd = cwd
        self.env = git_env(credential)
        self.secrets = [s for s in ((credential or {}).get("password"),) if s]
        self.timeout = timeout or GIT_TIMEOUT
        self.deadline = deadline or (time.monotonic() + self.timeout)
        self.log = []

    def mask(self, text):
        for secret in self.secrets:
            text = text.replace(secret, "********")
        return text

    def __call__(self, *args, check=True, quiet=False):
        argv = ["git"] + list(args)
        if not quiet:
            self.log.append("$ " + self.mask(shlex.join(argv)))
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise GitError("git did not finish within %s seconds" % self.timeout)
        try:
            returncode, out, _dummy = run_process(argv, timeout=left, env=self.env, cwd=self.cwd, stderr_to_stdout=True)
        except OSError as exc:
            raise GitError("cannot run git: %s" % (exc.strerror or exc)) from exc
        except ProcessTimeout:
            self.log.append("(killed: the update took more than %s seconds)" % self.timeout)
            raise GitError("git %s did not finish within %s seconds" % (args[0], self.timeout)) from None
        text = self.mask(out.decode("utf-8", "replace")).rstrip()
        if text and not quiet:
            self.log.append(text)
        if check and returncode != 0:
            last = [ln for ln in text.splitlines() if ln.strip()]
            reason = next((ln for ln in last if ln.startswith(("fatal:", "error:"))), last[-1] if last else "no output")
            raise GitError("git %s failed (exit %d): %s" % (args[0], returncode, reason))
        return returncode, text


class _NoLock:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


_HELD = {}  # (lock path, thread id) -> depth: the lock is re-entrant within one thread
_HELD_GUARD = threading.Lock()


class _Lock:
    """An exclusive lock on ``path`` (waits up to ``timeout`` seconds).

    ``flock`` on a file: other processes and other threads wait; the thread
    that holds it may take it again (an inventory update that holds it can
    still run the project update it needs).
    """

    def __init__(self, path, timeout):
        self.path = path
        self.timeout = timeout
        self.handle = None
        self.key = (os.path.abspath(path), threading.get_ident())

    def __enter__(self):
        import fcntl

        with _HELD_GUARD:
            if _HELD.get(self.key):
                _HELD[self.key] += 1
                return self
        self.handle = open(self.path, "a")
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                fcntl.flock(self.handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError:
                if time.monotonic() > deadline:
                    self.handle.close()
                    self.handle = None
                    raise GitError("another update of this project holds %s for more than %s seconds" % (self.path, self.timeout))
                time.sleep(0.1)
        with _HELD_GUARD:
            _HELD[self.key] = 1
        return self

    def __exit__(self, *exc):
        import fcntl

        with _HELD_GUARD:
            _HELD[self.key] -= 1
            if _HELD[self.key]:
                return
            del _HELD[self.key]
        fcntl.flock(self.handle.fileno(), fcntl.LOCK_UN)
        self.handle.close()
        self.handle = None


def checkout_lock(path, timeout=None):
    """The lock that serializes every change of the checkout at ``path`` (a ``<path>.lock`` file, ``flock``).

    Hold it while reading the checkout (``with checkout_lock(path): ...``) so
    that no project update moves it meanwhile; it is re-entrant within a thread.
    """
    make_private_dir(os.path.dirname(path))
    return _Lock(path + ".lock", timeout or GIT_TIMEOUT)


def sync_checkout(path, scm_url, scm_branch="", scm_refspec="", credential=None, timeout=None, lock=True):
    """Make ``path`` a clean checkout of ``scm_branch`` (a branch, tag or commit; blank = the remote's default).

    Returns ``(revision, log)``; raises :class:`GitError` (with ``.log``) on failure.
    The URL kept in ``.git/config`` carries no password.  ``lock=False`` when
    the caller already holds :func:`checkout_lock`.
    """
    # a URL that still carries a password (a store written before every form was cleaned, the scm
    # plugin's repo option): the password goes to the credential helper, never into .git/config
    scm_url, url_user, url_password = _split_url_credentials((scm_url or "").strip())
    if url_password is not None and not (credential or {}).get("password"):
        credential = dict(credential or {}, username=(credential or {}).get("username") or url_user, password=url_password)
    try:
        validate_scm_url(scm_url)
        validate_ref(scm_branch, "scm_branch")
        validate_ref(scm_refspec, "scm_refspec")
    except ValidationError as exc:
        raise GitError(str(exc)) from None
    parent = os.path.dirname(path)
    make_private_dir(parent)
    timeout = timeout or GIT_TIMEOUT
    git = _Git(path, credential, timeout)
    try:
        with (checkout_lock(path, timeout) if lock else _NoLock()):
            if not os.path.isdir(os.path.join(path, ".git")):
                if os.path.exists(path):
                    shutil.rmtree(path)
                os.makedirs(path)
                git("init", "-q", quiet=True)
                git("remote", "add", "--", "origin", scm_url, quiet=True)
            else:
                git("remote", "set-url", "origin", scm_url, quiet=True)
            git("fetch", "--prune", "--force", "--tags", "origin", "+refs/heads/*:refs/remotes/origin/*")
            if scm_refspec:
                git("fetch", "--force", "origin", *scm_refspec.split())
            rev = _resolve(git, scm_branch)
            git("checkout", "-q", "--force", "--detach", rev)
            git("clean", "-q", "-ffdx", quiet=True)
            revision = git("rev-parse", "HEAD", quiet=True)[1].strip()
            git.log.append("checked out %s at %s" % (scm_branch or "the default branch", revision))
    except GitError as exc:
        exc.log = "\n".join(git.log)
        raise
    return revision, "\n".join(git.log)


def _resolve(git, branch):
    if not branch:
        rc, out = git("ls-remote", "--symref", "origin", "HEAD", check=False, quiet=True)
        match = re.search(r"^ref:\s*refs/heads/(\S+)\s+HEAD", out, re.MULTILINE) if rc == 0 else None
        if not match:
            raise GitError("cannot tell the default branch of the remote; set scm_branch")
        branch = match.group(1)
    for candidate in ("refs/remotes/origin/%s" % branch, "refs/tags/%s" % branch, branch):
        rc, out = git("rev-parse", "--verify", "-q", candidate + "^{commit}", check=False, quiet=True)
        if rc == 0:
            return out.strip()
    if re.match(r"^[0-9a-fA-F]{7,40}$", branch):
        rc = git("fetch", "origin", branch, check=False)[0]
        if rc == 0:
            return git("rev-parse", "--verify", "FETCH_HEAD^{commit}", quiet=True)[1].strip()
    raise GitError("scm_branch '%s' is not a branch, tag or commit of the repository" % branch)


def remote_revision(project, timeout=None):
    """The revision a project update would check out, asked with ``git ls-remote`` (check mode); None if unknown."""
    try:
        validate_scm_url(project["scm_url"])
        validate_ref(project.get("scm_branch"), "scm_branch")
    except ValidationError as exc:
        raise GitError(str(exc)) from None
    git = _Git(None, project.get("credential"), timeout or GIT_TIMEOUT)
    branch = project.get("scm_branch") or "HEAD"
    if re.match(r"^[0-9a-fA-F]{40}$", branch):
        return branch
    rc, out = git("ls-remote", "--", project["scm_url"], branch, "refs/tags/%s^{}" % branch, check=False, quiet=True)
    if rc != 0:
        raise GitError("git ls-remote failed: %s" % (out.strip().splitlines() or ["no output"])[-1])
    refs = dict((line.split("\t", 1)[1], line.split("\t", 1)[0]) for line in out.splitlines() if "\t" in line)
    for ref in ("HEAD" if branch == "HEAD" else "refs/heads/%s" % branch, "refs/tags/%s^{}" % branch,
                "refs/tags/%s" % branch):
        if ref in refs:
            return refs[ref]
    return None


# -- suggested inventory files --------------------------------------------------------------


def skip_directory(rel_dir: str) -> bool:
    """AWX's rule: nothing under roles/, tasks/, group_vars/, host_vars/ or a dot-directory."""
    if rel_dir in ("", "."):
        return False
    parts = rel_dir.split(os.sep)
    return any(p in _SKIP_DIRS or p.startswith(".") for p in parts)


def could_be_inventory(root, dir_path, filename):
    """The path (relative to ``root``) when the file looks like an inventory, else None.

    AWX's rules (``hosts``/``inventory``, ``*.ini``, executables, extension-less
    files whose first 10 lines all start like inventory lines), plus YAML
    inventories: ``*.yml``/``*.yaml`` that are a mapping with group keys
    ``hosts``/``children``, or a plugin configuration (``plugin:``).
    """
    full = os.path.join(dir_path, filename)
    rel = os.path.relpath(full, root)
    if filename.startswith(".") or not os.path.isfile(full):
        return None
    ext = os.path.splitext(filename)[1]
    if filename in ("hosts", "inventory"):
        return rel
    if ext.lower() == ".ini" or os.access(full, os.X_OK):
        return rel
    if ext.lower() in _YAML_EXT:
        return rel if _looks_like_yaml_inventory(full) else None
    if ext:
        return None
    try:
        with open(full, "r", encoding="utf-8", errors="ignore") as handle:
            for n, line in enumerate(handle):
                if n >= 10:
                    break
                if not _INVENTORY_LINE.match(line):
                    return None
    except OSError:
        return None
    return rel


def _looks_like_yaml_inventory(path) -> bool:
    try:
        with open(path, "r", encoding="utf-8", errors="ignore") as handle:
            head = handle.read(_YAML_HEAD)
    except OSError:
        return False
    for line in head.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#") or stripped == "---" or stripped.startswith("%"):
            continue
        if stripped.startswith("- ") or stripped == "-" or line[0].isspace():
            return False  # a list (a playbook, a task file) or not a mapping
        break
    else:
        return False
    return bool(_YAML_PLUGIN.search(head) or _YAML_GROUP_KEY.search(head))


def find_inventory_files(root, limit=MAX_INVENTORY_FILES) -> list:
    """Suggested inventory files of a checkout: at most ``limit``, sorted (case-insensitively, as AWX)."""
    found = []
    if not root or not os.path.isdir(root):
        return found
    for dir_path, dir_names, file_names in os.walk(root):
        rel_dir = os.path.relpath(dir_path, root)
        if skip_directory(rel_dir):
            dir_names[:] = []
            continue
        dir_names[:] = [d for d in dir_names if not (d in _SKIP_DIRS or d.startswith("."))]
        for name in file_names:
            rel = could_be_inventory(root, dir_path, name)
            if rel is not None:
                found.append(rel)
    found.sort(key=lambda p: (p.lower(), p))
    return found[:limit]


# -- project updates --------------------------------------------------------------------------


def _update_row(row):
    """A project update record; one left running by a process that died reads as failed (nothing is written)."""
    if row is None:
        return None
    row = dict(row)
    if row["status"] in ACTIVE and row["pid"] is not None and not record_alive(row):
        row["status"] = "failed"
        row["job_explanation"] = "%s (pid %s)" % (UPDATE_ENDED, row["pid"])
    row["project"] = row.pop("project_id")
    row["failed"] = row["status"] in ("failed", "error", "canceled")
    return row


def get_project_update(store, update_id):
    return _update_row(store.query_one("SELECT * FROM project_updates WHERE id = ?", (update_id,)))


def list_project_updates(store, project) -> list:
    project = require_project(store, project) if not isinstance(project, dict) else project
    rows = store.query("SELECT * FROM project_updates WHERE project_id = ? ORDER BY id", (project["id"],))
    return [_update_row(r) for r in rows]


def log_tail(text, limit=LOG_TAIL) -> str:
    text = text or ""
    return text if len(text) <= limit else "...\n" + text[-limit:]


def _locked_update(store, pid, path, launch_type, timeout):
    """The update itself, under the checkout's lock: ``(update_id, project before, status, revision, files)``."""
    stamp = now()
    with store.transaction():
        current = require_project(store, pid)
        # Records are written only while their process holds the lock: a 'running' record found now
        # belongs to a process that died (killed, host rebooted) before it could finish it.
        store.execute(
            "UPDATE project_updates SET status = 'failed', finished = ?, job_explanation = ?"
            " WHERE project_id = ? AND status IN ('pending', 'running')",
            (stamp, UPDATE_ENDED, pid))
        # the process running it, so that readers can tell a record left running by a process that died
        proc, proc_start, host = this_process()
        cur = store.execute(
            "INSERT INTO project_updates (project_id, status, launch_type, created, started, pid, pid_start, hostname)"
            " VALUES (?, 'running', ?, ?, ?, ?, ?, ?)",
            (pid, launch_type, stamp, stamp, proc, proc_start, host))
        update_id = cur.lastrowid
        store.execute("UPDATE projects SET status = 'running' WHERE id = ?", (pid,))
    previous = current["scm_revision"]
    status, explanation = "successful", ""
    revision = previous
    try:
        cred = current["credential"] or {}
        if cred.get("ssh_key_file") and not os.path.isfile(cred["ssh_key_file"]):
            raise GitError("scm_ssh_key_file %s does not exist or is not a file" % cred["ssh_key_file"])
        revision, log = sync_checkout(path, current["scm_url"], current["scm_branch"], current["scm_refspec"], cred, timeout,
                                      lock=False)
    except GitError as exc:
        status, explanation, log = "failed", str(exc), (exc.log + "\n" if exc.log else "") + str(exc)
    except OSError as exc:
        status, explanation = "failed", "cannot write the checkout %s: %s" % (path, exc.strerror or exc)
        log = explanation
    files = find_inventory_files(path) if status == "successful" else current["inventory_files"]
    finished = now()
    with store.transaction():
        store.execute(
            "UPDATE project_updates SET status = ?, scm_revision = ?, result_stdout = ?, job_explanation = ?, finished = ?"
            " WHERE id = ?", (status, revision if status == "successful" else "", log, explanation, finished, update_id))
        if status == "successful":
            store.execute(
                "UPDATE projects SET scm_revision = ?, status = ?, last_updated = ?, inventory_files = ? WHERE id = ?",
                (revision, status, finished, canonical_json(files), pid))
        else:
            store.execute("UPDATE projects SET status = ?, last_updated = ? WHERE id = ?", (status, finished, pid))
    return update_id, current, status, revision, files


def update_project(store, project, launch_type="manual", trigger_inventory_updates=True, timeout=None) -> dict:
    """Fetch the project and record a project update; returns the update record.

    The record (``project_updates``: id, project, status, launch_type,
    scm_revision, result_stdout, job_explanation, created, started, finished,
    pid, pid_start, hostname)
    gets ``inventory_files`` (the project's suggested files afterwards),
    ``previous_revision``, ``revision_changed`` and ``inventory_updates``: the
    inventory updates this update triggered (only after a successful update
    and with ``trigger_inventory_updates``; see
    ``updates.update_sources_for_project``).  A failed update triggers nothing.
    """
    if not isinstance(project, dict):
        project = require_project(store, project)
    pid = project["id"]
    path = project_checkout_path(store, project)
    try:
        lock = checkout_lock(path, timeout)
        lock.__enter__()
    except (GitError, OSError) as exc:
        # no update could start: record why, as a failed update
        reason = str(exc) if isinstance(exc, GitError) else "cannot lock the checkout %s: %s" % (path, exc.strerror or exc)
        stamp = now()
        with store.transaction():
            cur = store.execute(
                "INSERT INTO project_updates (project_id, status, launch_type, result_stdout, job_explanation, created, started,"
                " finished) VALUES (?, 'failed', ?, ?, ?, ?, ?, ?)", (pid, launch_type, reason, reason, stamp, stamp, stamp))
        record = get_project_update(store, cur.lastrowid)
        record.update(inventory_files=project["inventory_files"], previous_revision=project["scm_revision"],
                      revision_changed=False, inventory_updates=[])
        return record
    try:
        update_id, current, status, revision, files = _locked_update(store, pid, path, launch_type, timeout)
    finally:
        lock.__exit__(None, None, None)
    previous = current["scm_revision"]
    record = get_project_update(store, update_id)
    record["inventory_files"] = files
    record["previous_revision"] = previous
    record["revision_changed"] = status == "successful" and revision != previous
    record["inventory_updates"] = []
    if status == "successful" and trigger_inventory_updates:
        record["inventory_updates"] = _trigger_sources(store, pid, update_id)
    return record


def _trigger_sources(store, project_id, project_update_id):
    try:
        from ansible_collections.fleet.inventory.plugins.module_utils.rules import updates
    except ImportError as exc:  # the sources/updates half is not installed: nothing can depend on the project
        if "updates" not in str(exc):
            raise
        return []
    return list(updates.update_sources_for_project(store, project_id, project_update_id) or [])


# -- what the scm inventory plugin serves ---------------------------------------------------------


def _table_exists(store, name) -> bool:
    return store.query_one("SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)) is not None


def find_scm_source(store, name, inventory=None) -> dict:
    """The stored inventory source ``name`` (of ``inventory`` when given) as a row dict; NotFound/ValidationError."""
    sql = ("SELECT s.*, i.name AS inventory_name FROM inventory_sources s JOIN inventories i ON i.id = s.inventory_id"
           " WHERE s.name = ?")
    params = [name]
    if inventory:
        store.require_inventory(inventory)
        sql += " AND i.name = ?"
        params.append(inventory)
    rows = store.query(sql + " ORDER BY s.id", params)
    if not rows:
        raise NotFound("inventory source '%s' does not exist%s" % (name, " in inventory '%s'" % inventory if inventory else ""))
    if len(rows) > 1:
        raise ValidationError("inventory source name '%s' is used in several inventories (%s); set inventory" % (
            name, ", ".join("'%s'" % r["inventory_name"] for r in rows)))
    return rows[0]


def source_inventory_data(store, source, include_disabled=False) -> dict:
    """Hosts and groups a stored source brought into its inventory, for the scm plugin.

    When the source is the only source of its inventory the whole inventory is
    served; otherwise only what the source owns (``inventory_source_hosts`` /
    ``inventory_source_groups``).  Returns ``all_vars``, ``hosts`` [(name, vars)]
    and ``groups`` [(name, vars, host names, child names)].
    """
    inv_id = source["inventory_id"]
    others = store.query_one("SELECT COUNT(*) AS n FROM inventory_sources WHERE inventory_id = ? AND id != ?",
                             (inv_id, source["id"]))["n"]
    owned = others and _table_exists(store, "inventory_source_hosts") and _table_exists(store, "inventory_source_groups")
    inv = store.query_one("SELECT variables FROM inventories WHERE id = ?", (inv_id,))
    if owned:
        host_rows = store.query(
            "SELECT h.id, h.name, h.enabled, h.variables FROM hosts h JOIN inventory_source_hosts o ON o.host_id = h.id"
            " WHERE o.inventory_source_id = ? ORDER BY h.name", (source["id"],))
        group_rows = store.query(
            "SELECT g.id, g.name, g.variables FROM groups g JOIN inventory_source_groups o ON o.group_id = g.id"
            " WHERE o.inventory_source_id = ? ORDER BY g.name", (source["id"],))
    else:
        host_rows = store.query("SELECT id, name, enabled, variables FROM hosts WHERE inventory_id = ? ORDER BY name", (inv_id,))
        group_rows = store.query("SELECT id, name, variables FROM groups WHERE inventory_id = ? ORDER BY name", (inv_id,))
    hosts = {r["id"]: r for r in host_rows if include_disabled or r["enabled"]}
    groups = {r["id"]: r for r in group_rows}
    members = {gid: [] for gid in groups}
    children = {gid: [] for gid in groups}
    for row in store.query("SELECT gh.group_id, gh.host_id FROM group_hosts gh JOIN groups g ON g.id = gh.group_id"
                           " WHERE g.inventory_id = ?", (inv_id,)):
        if row["group_id"] in members and row["host_id"] in hosts:
            members[row["group_id"]].append(hosts[row["host_id"]]["name"])
    for row in store.query("SELECT gc.parent_id, gc.child_id FROM group_children gc JOIN groups g ON g.id = gc.parent_id"
                           " WHERE g.inventory_id = ?", (inv_id,)):
        if row["parent_id"] in children and row["child_id"] in groups:
            children[row["parent_id"]].append(groups[row["child_id"]]["name"])
    return {
        "all_vars": json.loads(inv["variables"] or "{}"),
        "hosts": [(r["name"], json.loads(r["variables"] or "{}")) for r in hosts.values()],
        "groups": [(g["name"], json.loads(g["variables"] or "{}"), sorted(members[gid]), sorted(children[gid]))
                   for gid, g in groups.items()],
    }
