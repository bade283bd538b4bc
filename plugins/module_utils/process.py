# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Running a child process (ansible-inventory, git, the construction helper) for the engine.

Not ``AnsibleModule.run_command``: the engine runs in modules, inventory
plugins and the service alike, and a timeout must stop the child's whole
process group (inventory scripts started by ansible-inventory, ssh started by
git), which only a child started in its own session allows.
"""

from __future__ import annotations

import os
import signal
import subprocess


class ProcessTimeout(Exception):
    """The child did not finish in time; its process group was killed."""

    def __init__(self, argv, timeout):
        super().__init__("%s did not finish within %s seconds" % (os.path.basename(argv[0]), timeout))
        self.argv = argv
        self.timeout = timeout


def run_process(argv, timeout=None, env=None, cwd=None, input_bytes=None, stderr_to_stdout=False):
    """Run ``argv`` in a new session; returns ``(returncode, stdout, stderr)`` as bytes.

    ``stderr_to_stdout`` merges the two (``stderr`` is then ``b""``).  With
    ``timeout`` (seconds; None or 0 = no limit) the whole process group is
    killed when it passes and :class:`ProcessTimeout` raised.  Raises
    ``OSError`` when the program cannot be started.
    """
    proc = subprocess.Popen(argv, stdin=subprocess.PIPE if input_bytes is not None else subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT if stderr_to_stdout else subprocess.PIPE,
                            env=env, cwd=cwd, start_new_session=True)
    try:
        out, err = proc.communicate(input=input_bytes, timeout=timeout or None)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except OSError:
            proc.kill()
        proc.communicate()
        raise ProcessTimeout(argv, timeout) from None
    return proc.returncode, out, err or b""
