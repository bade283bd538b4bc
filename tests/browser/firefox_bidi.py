"""A small WebDriver BiDi client for Firefox (the protocol Firefox speaks itself: no geckodriver, no Playwright).

Playwright drives only its own patched Firefox build, which cannot be downloaded here; Debian's
``firefox-esr`` (115 and later) answers WebDriver BiDi on ``--remote-debugging-port``.  This is just
what the Firefox test needs: start a headless Firefox with a throwaway profile, open one session,
navigate, evaluate JavaScript, take screenshots, quit.
"""

from __future__ import annotations

import base64
import contextlib
import itertools
import json
import os
import shutil
import subprocess
import time

from websockets.sync.client import connect

from service_paths import free_port

FIREFOX = os.environ.get("FLEET_TEST_FIREFOX", "firefox-esr")


def firefox_path():
    """The Firefox binary, or None."""
    return shutil.which(FIREFOX) or (FIREFOX if os.path.isfile(FIREFOX) else None)


def _plain(remote):
    """A BiDi remote value as Python: primitives, lists and dicts (string keys); anything else as its type name."""
    kind = remote.get("type")
    if kind in ("undefined", "null"):
        return None
    if kind in ("string", "boolean", "number"):
        return remote["value"]
    if kind == "array":
        return [_plain(item) for item in remote.get("value", [])]
    if kind == "object":
        return {key if isinstance(key, str) else json.dumps(key): _plain(value) for key, value in remote.get("value", [])}
    return "<%s>" % kind


class JavaScriptError(AssertionError):
    """A script the page evaluated threw."""


class Firefox:
    """One headless Firefox and one BiDi session on one browsing context (a tab)."""

    def __init__(self, profile_dir, width=1366, height=900):
        os.makedirs(profile_dir, exist_ok=True)
        self.port = free_port()
        self.log_path = os.path.join(profile_dir, "firefox.log")
        self._log = open(self.log_path, "w", encoding="utf-8")  # pylint: disable=consider-using-with
        self.proc = subprocess.Popen(  # pylint: disable=consider-using-with
            [firefox_path(), "--headless", "--no-remote", "--profile", profile_dir,
             "--remote-debugging-port", str(self.port), "about:blank"],
            stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True)
        self._ids = itertools.count(1)
        self._stack = contextlib.ExitStack()
        self.ws = self._stack.enter_context(self._connect())
        self.call("session.new", capabilities={})
        self.context = self.call("browsingContext.getTree")["contexts"][0]["context"]
        self.call("browsingContext.setViewport", context=self.context, viewport={"width": width, "height": height})

    def _connect(self, timeout=60):
        end = time.monotonic() + timeout
        while True:
            try:
                return connect("ws://127.0.0.1:%d/session" % self.port, max_size=64 * 1024 * 1024, open_timeout=5)
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > end:
                    raise RuntimeError("Firefox did not open WebDriver BiDi on port %d (log: %s)" % (self.port, self.log_path))
                time.sleep(0.2)

    def call(self, method, **params):
        """Send one command and return its result (events in between are ignored)."""
        ident = next(self._ids)
        self.ws.send(json.dumps({"id": ident, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv(timeout=60))
            if msg.get("id") == ident:
                if msg.get("type") == "error":
                    raise RuntimeError("%s: %s: %s" % (method, msg.get("error"), msg.get("message")))
                return msg["result"]

    def goto(self, url):
        self.call("browsingContext.navigate", context=self.context, url=url, wait="complete")

    def js(self, expression):
        """The value of a JavaScript expression in the page (promises awaited); a thrown error raises."""
        res = self.call("script.evaluate", expression=expression, target={"context": self.context}, awaitPromise=True)
        if res.get("type") == "exception":
            raise JavaScriptError(res["exceptionDetails"].get("text"))
        return _plain(res["result"])

    def wait_for(self, expression, what, timeout=15.0):
        """Poll ``expression`` until it is truthy; AssertionError naming ``what`` after ``timeout`` seconds."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.js(expression):
                return
            time.sleep(0.1)
        raise AssertionError("Firefox: timed out waiting for %s (%s)" % (what, expression))

    def screenshot(self, path):
        data = self.call("browsingContext.captureScreenshot", context=self.context)["data"]
        with open(path, "wb") as out:
            out.write(base64.b64decode(data))
        return path

    def close(self):
        try:
            self._stack.close()
        finally:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(15)
            self._log.close()
