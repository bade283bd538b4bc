"""The web page in Firefox (docs/web.md: "works in Chromium and Firefox"): Debian's firefox-esr over WebDriver BiDi.

The Chromium tests (test_web_page.py) cover every flow; this one walks the main flow again in
Firefox's engine: sign in, a filter and its hosts, a bad filter's column, a host's facts, and a
hostile host name shown as text.  Without firefox-esr it skips saying why; under CI it fails.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from web_sizes import HOSTILE

try:
    from firefox_bidi import Firefox, firefox_path
except ImportError:  # websockets missing: pip install -r requirements-dev.txt
    Firefox = firefox_path = None


@pytest.fixture
def firefox(tmp_path):
    reason = ("websockets is not installed (pip install -r requirements-dev.txt)" if Firefox is None
              else "" if firefox_path() else "firefox-esr is missing (apt-get install -y firefox-esr)")
    if reason:
        if os.environ.get("CI") or os.environ.get("FLEET_TEST_BROWSER_REQUIRED"):
            pytest.fail("the Firefox test under CI (or FLEET_TEST_BROWSER_REQUIRED) needs firefox-esr: " + reason)
        pytest.skip(reason)
    browser = Firefox(str(tmp_path / "firefox-profile"))
    try:
        yield browser
    finally:
        browser.close()


SCREENSHOTS = Path(__file__).resolve().parent.parent / "output" / "screenshots"


def _type_filter(ff, text):
    ff.js("(() => { const box = document.getElementById('host-filter'); box.value = %s;"
          " box.dispatchEvent(new Event('input', {bubbles: true})); return true; })()" % json.dumps(text))


def _host_names(ff):
    return ff.js("[...document.querySelectorAll('a.host-link')].map(a => a.textContent)")


def test_main_flow_in_firefox(firefox, reading):
    ff = firefox
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    ff.goto(reading.url + "/")
    ff.wait_for("!!document.getElementById('token')", "the sign-in form")
    ff.js("(() => { document.getElementById('token').value = %s; document.querySelector('form.signin').requestSubmit();"
          " return true; })()" % json.dumps(reading.admin))
    ff.wait_for("location.hash === '#/search' && document.querySelectorAll('a.host-link').length > 0", "the first hosts")
    assert ff.js("sessionStorage.length") == 1 and ff.js("document.cookie") == ""
    assert reading.admin not in ff.js("location.href")

    _type_filter(ff, "groups__name=frontend")
    ff.wait_for("document.querySelectorAll('a.host-link').length === 15", "the 15 hosts of group frontend")
    assert sorted(_host_names(ff)) == ["web%02d" % i for i in range(1, 31, 2)]
    ff.screenshot(str(SCREENSHOTS / "firefox-search-desktop.png"))

    _type_filter(ff, "name=web01 and (groups__name=x")
    ff.wait_for("(document.getElementById('filter-error') || {textContent: ''}).textContent.includes('column 16')",
                "the bad filter's column")
    assert ff.js("document.querySelector('#filter-error mark').textContent") == "("
    ff.screenshot(str(SCREENSHOTS / "firefox-search-error-desktop.png"))

    _type_filter(ff, "name__startswith=\"<img\"")
    ff.wait_for("document.querySelectorAll('a.host-link').length === 1", "the hostile host")
    assert _host_names(ff) == [HOSTILE]
    ff.js("document.querySelector('a.host-link').click(), true")
    ff.wait_for("location.hash.startsWith('#/hosts/') && document.body.textContent.includes('ansible_distribution')",
                "the host's facts")
    assert ff.js("document.querySelectorAll('img[src=x]').length") == 0
    assert ff.js("typeof window.__pwned") == "undefined"
