#!/usr/bin/env python
# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run a systemd unit's ExecStart where systemd is not PID 1 (the molecule scenario's supervisor).

    run_unit.py start UNIT_FILE PID_FILE LOG_FILE
    run_unit.py stop PID_FILE [TIMEOUT]

``start`` reads the unit's [Service] section and starts its ExecStart in the
background, in a session of its own, as systemd would as far as a plain process
can: User= and Group= (with the user's groups; only when running as root),
WorkingDirectory=, UMask=, NoNewPrivileges=, and the environment systemd gives
(PATH, LANG, HOME/USER/LOGNAME/SHELL of User=, then Environment=, then
EnvironmentFile= which overrides it).  ``stop`` sends SIGTERM to the process
group, as systemd's KillMode=mixed sends it to the main process, waits, then
SIGKILLs what is left; it prints the exit state.
"""

from __future__ import annotations

import ctypes
import os
import pwd
import grp
import shlex
import signal
import subprocess
import sys
import time

PR_SET_NO_NEW_PRIVS = 38
DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def fail(msg):
    sys.stderr.write("run_unit.py: %s\n" % msg)
    sys.exit(1)


def service_section(path):
    """``[(key, value), ...]`` of the unit's [Service] section, in order (continuation lines joined)."""
    entries, section, pending = [], None, ""
    with open(path, encoding="utf-8") as handle:
        for raw in handle:
            line = pending + raw.rstrip("\n")
            pending = ""
            if line.endswith("\\"):
                pending = line[:-1] + " "
                continue
            line = line.strip()
            if not line or line[0] in "#;":
                continue
            if line.startswith("[") and line.endswith("]"):
                section = line[1:-1]
                continue
            if section == "Service" and "=" in line:
                key, value = line.split("=", 1)
                entries.append((key.strip(), value.strip()))
    return entries


def parse_env_value(text):
    """A value of an EnvironmentFile= line, with systemd's quoting rules."""
    text = text.strip()
    if len(text) >= 2 and text[0] == "'" and text[-1] == "'":
        return text[1:-1]
    if len(text) >= 2 and text[0] == '"' and text[-1] == '"':
        out, i, body = [], 0, text[1:-1]
        while i < len(body):
            char = body[i]
            if char == "\\" and i + 1 < len(body):
                nxt = body[i + 1]
                out.append(nxt if nxt in '"\\`$' else char + nxt)
                i += 2
                continue
            out.append(char)
            i += 1
        return "".join(out)
    out, i = [], 0
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text):
            out.append(text[i + 1])
            i += 2
            continue
        out.append(text[i])
        i += 1
    return "".join(out)


def read_env_file(path):
    env = {}
    optional = path.startswith("-")
    path = path.lstrip("-")
    try:
        with open(path, encoding="utf-8") as handle:
            lines = handle.read().splitlines()
    except FileNotFoundError:
        if optional:
            return env
        raise
    for line in lines:
        stripped = line.strip()
        if not stripped or stripped[0] in "#;" or "=" not in stripped:
            continue
        key, value = stripped.split("=", 1)
        env[key.strip()] = parse_env_value(value)
    return env


def no_new_privileges():
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS)")


def start(unit, pid_file, log_file):
    settings = service_section(unit)
    values = {}
    env_lines, env_files = [], []
    for key, value in settings:
        if key == "Environment":
            env_lines.extend(shlex.split(value))
        elif key == "EnvironmentFile":
            env_files.append(value)
        else:
            values[key] = value
    if "ExecStart" not in values:
        fail("%s has no ExecStart=" % unit)
    argv = shlex.split(values["ExecStart"])
    as_root = os.geteuid() == 0
    user = values.get("User") if as_root else None
    group = values.get("Group") if as_root else None
    env = {"PATH": DEFAULT_PATH, "LANG": os.environ.get("LANG", "C.UTF-8")}
    account = pwd.getpwnam(user) if user else pwd.getpwuid(os.geteuid())
    env.update(HOME=account.pw_dir, USER=account.pw_name, LOGNAME=account.pw_name,
               SHELL=account.pw_shell or "/bin/sh")
    for assignment in env_lines:
        key, _sep, value = assignment.partition("=")
        env[key] = value
    for path in env_files:
        env.update(read_env_file(path))
    kwargs = {}
    if user:
        kwargs["user"] = account.pw_uid
        kwargs["group"] = grp.getgrnam(group).gr_gid if group else account.pw_gid
        kwargs["extra_groups"] = [g.gr_gid for g in grp.getgrall() if account.pw_name in g.gr_mem]
    if "UMask" in values:
        kwargs["umask"] = int(values["UMask"], 8)
    preexec = no_new_privileges if values.get("NoNewPrivileges", "").lower() in ("yes", "true", "1", "on") else None
    with open(log_file, "ab") as log, open(os.devnull, "rb") as devnull:
        # pylint: disable-next=subprocess-popen-preexec-fn,consider-using-with
        proc = subprocess.Popen(argv, stdin=devnull, stdout=log, stderr=subprocess.STDOUT, env=env,
                                cwd=values.get("WorkingDirectory") or "/", start_new_session=True,
                                preexec_fn=preexec, **kwargs)
    with open(pid_file, "w", encoding="ascii") as handle:
        handle.write("%d\n" % proc.pid)
    sys.stdout.write("started %s as %s (pid %d): %s\n" % (os.path.basename(unit), account.pw_name, proc.pid,
                                                          " ".join(shlex.quote(a) for a in argv)))


def alive(pid):
    try:
        with open("/proc/%d/stat" % pid, encoding="ascii") as handle:
            state = handle.read().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def stop(pid_file, timeout):
    try:
        with open(pid_file, encoding="ascii") as handle:
            pid = int(handle.read().strip())
    except FileNotFoundError:
        sys.stdout.write("not running (no %s)\n" % pid_file)
        return
    if alive(pid):
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        deadline = time.monotonic() + timeout
        while alive(pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        how = "stopped by SIGTERM"
        if alive(pid):
            how = "killed (still running %ss after SIGTERM)" % timeout
    else:
        how = "had exited already"
    try:
        os.killpg(pid, signal.SIGKILL)  # whatever is left of its process group
    except (ProcessLookupError, PermissionError):
        pass
    os.unlink(pid_file)
    sys.stdout.write("pid %d %s\n" % (pid, how))


def main(argv):
    if len(argv) == 5 and argv[1] == "start":
        start(argv[2], argv[3], argv[4])
    elif len(argv) in (3, 4) and argv[1] == "stop":
        stop(argv[2], float(argv[3]) if len(argv) == 4 else 30.0)
    else:
        fail("usage: run_unit.py start UNIT_FILE PID_FILE LOG_FILE | stop PID_FILE [TIMEOUT]")


if __name__ == "__main__":
    main(sys.argv)
