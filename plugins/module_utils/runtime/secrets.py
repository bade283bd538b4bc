# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The key that encrypts secrets at rest (project credentials), which lives outside the store.

Where the key comes from, first found wins:

1. the environment variable ``FLEET_INVENTORY_SECRET_KEY``: one Fernet key
   (or several, separated by commas or white space: the first encrypts,
   every one decrypts, which is how a key is rotated);
2. the key file named by ``FLEET_INVENTORY_KEY_FILE`` (the service's
   configuration passes its own so): one key per line, the same rules, ``#``
   comments allowed;
3. for a SQLite store only: the file ``<store>.key`` beside the store.

A SQLite store's key file (2 or 3) is created when a secret is first written
and none exists; a PostgreSQL store is shared by several machines, which all
need the same key, so its key is never made up here: without one, storing a
credential is refused with an error that says how to configure it.  Key files
are created readable and writable by their owner only (0600, whatever the
umask), in one step (a complete file appears, or none).

Fernet (AES-128-CBC with HMAC-SHA256, from the ``cryptography`` package)
authenticates what it decrypts: a wrong key or a changed value is an error,
never garbage.  ``cryptography`` is imported only when a secret is encrypted
or decrypted.
"""

from __future__ import annotations

import os
import re
import tempfile
import threading

from ansible_collections.fleet.inventory.plugins.module_utils.errors import SecretKeyError

ENV_SECRET_KEY = "FLEET_INVENTORY_SECRET_KEY"
ENV_KEY_FILE = "FLEET_INVENTORY_KEY_FILE"
KEY_SUFFIX = ".key"
GENERATE_HINT = ("python3 -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())' > FILE;"
                 " chmod 600 FILE")
CONFIGURE_HINT = ("set %s to a Fernet key, or %s to a file that holds one (make one with: %s); every machine that uses"
                  " the store needs the same key" % (ENV_SECRET_KEY, ENV_KEY_FILE, GENERATE_HINT))

_SPLIT = re.compile(r"[\s,]+")
_lock = threading.Lock()
_file_cache: dict = {}
_memory_key: list = []


def _fernet():
    try:
        from cryptography import fernet  # pylint: disable=import-outside-toplevel
    except ImportError as exc:
        raise SecretKeyError("encrypting project credentials needs the Python package cryptography on the controller"
                             " (pip install cryptography)") from exc
    return fernet


class Cipher:
    """Encrypts with the first key and decrypts with any; ``origin`` says where the keys came from (for messages)."""

    def __init__(self, keys, origin):
        fernet = _fernet()
        self.origin = origin
        self._invalid = fernet.InvalidToken
        try:
            self._fernet = fernet.MultiFernet([fernet.Fernet(k) for k in keys])
        except (ValueError, TypeError) as exc:
            raise SecretKeyError("%s does not hold a valid Fernet key (32 url-safe base64-encoded bytes): %s"
                                 % (origin, exc)) from None

    def encrypt(self, text: str) -> str:
        return self._fernet.encrypt(text.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str, what: str) -> str:
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode("utf-8")
        except (self._invalid, ValueError, UnicodeError):
            raise SecretKeyError("cannot decrypt %s with the key of %s: it was encrypted with another key (or changed);"
                                 " configure the key it was stored with (%s, %s)"
                                 % (what, self.origin, ENV_SECRET_KEY, ENV_KEY_FILE)) from None


def _parse_keys(text, origin):
    keys = []
    for line in text.splitlines():
        line = line.split("#", 1)[0]
        keys.extend(k for k in _SPLIT.split(line) if k)
    if not keys:
        raise SecretKeyError("%s holds no key; %s" % (origin, CONFIGURE_HINT))
    return keys


def key_file_path(sqlite_path=None):
    """``(path, origin)`` of the key file this store uses, or ``(None, None)`` (PostgreSQL without FLEET_INVENTORY_KEY_FILE)."""
    configured = os.environ.get(ENV_KEY_FILE, "").strip()
    if configured:
        path = os.path.abspath(os.path.expanduser(configured))
        return path, "the key file %s (%s)" % (path, ENV_KEY_FILE)
    if sqlite_path:
        path = os.path.abspath(os.path.expanduser(sqlite_path)) + KEY_SUFFIX
        return path, "the key file %s (beside the store)" % path
    return None, None


def create_key_file(path):
    """Write a new key to ``path`` (mode 0600), unless a file is there already (then it is kept, as another process made it)."""
    fernet = _fernet()
    directory = os.path.dirname(path) or "."
    try:
        fd, tmp = tempfile.mkstemp(prefix=".%s." % os.path.basename(path), dir=directory)
    except OSError as exc:
        raise SecretKeyError("cannot create the key file %s: %s" % (path, exc.strerror or exc)) from exc
    try:
        os.fchmod(fd, 0o600)  # whatever the umask
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write("# the key of fleet.inventory's encrypted secrets: keep it, back it up apart from the store\n")
            handle.write(fernet.Fernet.generate_key().decode("ascii") + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(tmp, path)  # atomic: a complete file or none, and never over another process's key
        except FileExistsError:
            pass
        except OSError as exc:
            raise SecretKeyError("cannot create the key file %s: %s" % (path, exc.strerror or exc)) from exc
    finally:
        try:
            os.unlink(tmp)
        except OSError:
            pass


def _read_key_file(path, origin):
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise SecretKeyError("cannot read %s: %s" % (origin, exc.strerror or exc)) from exc
    stamp = (st.st_ino, st.st_mtime_ns, st.st_size)
    with _lock:
        cached = _file_cache.get(path)
        if cached and cached[0] == stamp:
            return cached[1]
    try:
        with open(path, encoding="ascii") as handle:
            text = handle.read()
    except (OSError, UnicodeError) as exc:
        raise SecretKeyError("cannot read %s: %s" % (origin, getattr(exc, "strerror", None) or exc)) from exc
    cipher = Cipher(_parse_keys(text, origin), origin)
    with _lock:
        _file_cache[path] = (stamp, cipher)
    return cipher


def cipher_for(sqlite_path=None, create=False, memory=False):
    """The :class:`Cipher` of a store, or None when no key is available.

    ``sqlite_path``: the store's file for a SQLite store (None for
    PostgreSQL); ``create``: make the SQLite store's key file when missing
    (when a secret is about to be written); ``memory``: an in-memory store
    (check mode's stand-in) without a configured key gets a key of this
    process, as nothing it holds outlives it.
    """
    env_key = os.environ.get(ENV_SECRET_KEY, "").strip()
    if env_key:
        origin = "the environment variable %s" % ENV_SECRET_KEY
        return Cipher(_parse_keys(env_key, origin), origin)
    path, origin = key_file_path(sqlite_path)
    cipher = _read_key_file(path, origin) if path else None
    if cipher is None and memory:
        with _lock:
            if not _memory_key:
                _memory_key.append(_fernet().Fernet.generate_key())
        return Cipher(list(_memory_key), "this process's key of an in-memory store")
    if cipher is None and path and create and sqlite_path:
        create_key_file(path)
        cipher = _read_key_file(path, origin)
    return cipher
