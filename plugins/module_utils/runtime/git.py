# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Running git for project checkouts: URL and reference checks, credentials, fetch and checkout.

Credentials: an SSH private key file (``GIT_SSH_COMMAND`` with ``-i``,
``IdentitiesOnly`` and ``StrictHostKeyChecking=accept-new``) and/or an https
username and password, given to git by a credential helper defined in git's
environment (``GIT_CONFIG_*``), never written to the checkout's
``.git/config`` nor to the update's log.  No store here: callers record what
happened.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import time
from urllib.parse import urlsplit, urlunsplit

from ansible_collections.fleet.inventory.plugins.module_utils.errors import GitError, ValidationError  # noqa: F401  (GitError re-exported)
from ansible_collections.fleet.inventory.plugins.module_utils.runtime.locks import NoLock, checkout_lock, make_private_dir
from ansible_collections.fleet.inventory.plugins.module_utils.runtime.process import ProcessTimeout, run_process

GIT_TIMEOUT = 600
_SCP_LIKE = re.compile(r"^(?:[A-Za-z0-9._-]+@)?[A-Za-z0-9.-]+:(?!//)[^\s]*$")
_URL_SCHEMES = ("https", "http", "ssh", "git+ssh", "ssh+git", "git", "file")
# variables of a surrounding git process (a hook, a test) that would redirect our git commands
_GIT_CONTEXT_VARS = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY", "GIT_COMMON_DIR",
                     "GIT_ASKPASS", "SSH_ASKPASS")


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

    def __init__(self, cwd, credential, timeout, deadline=None, log=None):
        self.cwd = cwd
        self.env = git_env(credential)
        self.secrets = [s for s in ((credential or {}).get("password"),) if s]
        self.timeout = timeout or GIT_TIMEOUT
        self.deadline = deadline or (time.monotonic() + self.timeout)
        self.log = log if log is not None else []

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


def sync_checkout(path, scm_url, scm_branch="", scm_refspec="", credential=None, timeout=None, lock=True, log=None):
    """Make ``path`` a clean checkout of ``scm_branch`` (a branch, tag or commit; blank = the remote's default).

    Returns ``(revision, log)``; raises :class:`GitError` (with ``.log``) on failure.
    The URL kept in ``.git/config`` carries no password.  ``lock=False`` when
    the caller already holds :func:`checkout_lock`.  ``log``: a list that gets
    the (masked) log lines as each command ends (a running update streams it).
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
    git = _Git(path, credential, timeout, log=log)
    try:
        with (checkout_lock(path, timeout) if lock else NoLock()):
            if not os.path.isdir(os.path.join(path, ".git")):
                if os.path.exists(path):
                    shutil.rmtree(path)
                os.makedirs(path)
                git("init", "-q", quiet=True)
                git("remote", "add", "--", "origin", scm_url, quiet=True)
            elif git("remote", "set-url", "origin", scm_url, check=False, quiet=True)[0] != 0:
                # a checkout whose first update was killed between "git init" and "git remote add"
                git("remote", "add", "--", "origin", scm_url, quiet=True)
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


def checkout_revision(path, timeout=60) -> str:
    """The commit checked out at ``path`` (this node's checkout), or '' when it is not a checkout."""
    if not os.path.isdir(os.path.join(path, ".git")):
        return ""
    try:
        returncode, out, _dummy = run_process(["git", "rev-parse", "HEAD"], timeout=timeout, env=git_env(), cwd=path)
    except (OSError, ProcessTimeout):
        return ""
    return out.decode("utf-8", "replace").strip() if returncode == 0 else ""
