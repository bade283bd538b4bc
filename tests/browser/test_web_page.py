"""The web page in a real browser (Chromium through Playwright) against a real service over a seeded store.

Every test runs on both backends (``store_target``). Screenshots of each page at a desktop and a phone
size go to tests/output/screenshots/ (scripts/docs-screenshots.sh copies them into docs/images/web/).
"""

from __future__ import annotations

import re

import pytest
import requests

from web_sizes import DESKTOP, HOSTILE, PHONE

try:
    from playwright.sync_api import expect
except ImportError:  # pragma: no cover - the browser fixture skips (or fails under CI) first
    expect = None


def sign_in(page, seeded, token=None):
    page.goto(seeded.url + "/")
    page.get_by_label("API token").fill(token or seeded.admin)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Search hosts")).to_be_visible()


def search(page, text):
    box = page.get_by_role("combobox", name="host_filter")
    box.fill(text)
    return box


def test_static_files_headers_and_no_auth(reading):
    for path, ctype in (("/", "text/html"), ("/web/app.js", "text/javascript"), ("/web/style.css", "text/css"),
                        ("/web/api.js", "text/javascript")):
        resp = requests.get(reading.url + path, timeout=10)
        assert resp.status_code == 200, path
        assert resp.headers["content-type"].startswith(ctype)
        csp = resp.headers["content-security-policy"]
        assert "default-src 'self'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert resp.headers["x-content-type-options"] == "nosniff"
        assert resp.headers["referrer-policy"] == "no-referrer"
    assert requests.get(reading.url + "/web/nothing.js", timeout=10).status_code == 404
    assert requests.get(reading.url + "/web/..%2Fapp.py", timeout=10).status_code == 404
    html = requests.get(reading.url + "/", timeout=10).text
    assert "<script>" not in html and "style=" not in html and "http" not in html.replace("http-equiv", "")


def test_sign_in_wrong_token_then_sign_out(page_at, reading):
    page = page_at()
    page.goto(reading.url + "/#/inventories")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.get_by_label("API token").fill("fli_not-a-token")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("401")
    page.get_by_label("API token").fill(reading.admin)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Search hosts")).to_be_visible()
    assert page.evaluate("sessionStorage.getItem('fleet.inventory.token')") == reading.admin
    assert reading.admin not in page.url and page.context.cookies() == []
    expect(page.locator("#who")).to_contain_text("admin")
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    assert page.evaluate("sessionStorage.getItem('fleet.inventory.token')") is None


def test_type_a_filter_and_the_hosts_change(page_at, reading, shot):
    page = page_at()
    sign_in(page, reading)
    summary = page.locator("#results .summary")
    expect(summary).to_have_text("36 hosts")
    search(page, "name__startswith=db")
    expect(summary).to_have_text("5 hosts match")
    expect(page.locator("#results tbody tr")).to_have_count(5)
    search(page, "ansible_facts__ansible_distribution=Ubuntu and inventory__name=web")
    expect(summary).to_have_text("10 hosts match")
    search(page, "name__startswith=web")
    expect(summary).to_have_text("30 hosts match")
    expect(page.locator("#results .pager .count")).to_have_text("page 1 of 2 · 30 hosts")
    page.get_by_role("button", name="Next ›").click()
    expect(page.locator("#results .pager .count")).to_have_text("page 2 of 2 · 30 hosts")
    expect(page.locator("#results tbody tr")).to_have_count(5)
    shot(page, "search")


def test_a_bad_filter_shows_its_column(page_at, reading, shot):
    page = page_at()
    sign_in(page, reading)
    search(page, "name=web01 and nosuch=1")
    error = page.locator("#filter-error .filter-error")
    expect(error).to_contain_text("unknown field")
    expect(error).to_have_attribute("data-column", "16")
    expect(error.locator("mark")).to_have_text("n")
    expect(error.locator("pre.marker")).to_contain_text("^ column 16")
    shot(page, "search-error")


def test_completion_of_fields_lookups_and_fact_paths(page_at, reading):
    page = page_at()
    sign_in(page, reading)
    box = search(page, "ansible_facts__ansible_l")
    options = page.locator("#completions [role=option]")
    expect(options.first).to_be_visible()
    texts = options.locator(".text").all_inner_texts()
    assert "ansible_facts__ansible_lo__ipv4__address" in texts and "ansible_facts__ansible_local" in texts
    box.fill("")
    box.press_sequentially("name__ist")
    expect(options.locator(".text")).to_have_text(["name__istartswith"])
    box.press("ArrowDown")
    box.press("Enter")
    expect(box).to_have_value("name__istartswith")
    box.press_sequentially("=DB")
    expect(page.locator("#results .summary")).to_have_text("5 hosts match")


def test_open_a_hosts_facts(page_at, reading, shot):
    page = page_at()
    sign_in(page, reading)
    search(page, "name=web07")
    expect(page.locator("#results .summary")).to_have_text("1 host matches")
    page.get_by_role("link", name="web07").click()
    expect(page.get_by_role("heading", name="web07")).to_be_visible()
    facts = page.locator("section", has=page.get_by_role("heading", name="Facts"))
    expect(facts).to_contain_text('ansible_distribution: "Debian"')
    lo = facts.locator("xpath=.//details[summary/span[@class='key' and text()='ansible_lo']]")
    expect(lo).not_to_have_attribute("open", "")
    lo.locator("summary").first.click()
    expect(lo.locator("li").first).to_be_visible()
    expect(page.locator("section", has=page.get_by_role("heading", name="Variables"))).to_contain_text("8007")
    shot(page, "host")


def test_save_a_smart_inventory(page_at, seeded, shot):
    page = page_at()
    sign_in(page, seeded)
    search(page, "groups__name=frontend")
    expect(page.locator("#results .summary")).to_have_text("15 hosts match")
    page.get_by_label("Smart inventory name").fill("frontends")
    page.get_by_role("button", name="Save as smart inventory").click()
    expect(page.locator("#saved-link")).to_have_text("frontends")
    page.locator("#saved-link").click()
    expect(page.get_by_role("heading", name="frontends")).to_be_visible()
    expect(page.locator("section", has=page.get_by_role("heading", name="Hosts (the filter's result)"))).to_contain_text("15 hosts")
    shot(page, "smart-inventory")
    # the same name again: AWX's 400 naming the field
    page.goto(seeded.url + "/#/search")
    search(page, "groups__name=frontend")
    page.get_by_label("Smart inventory name").fill("frontends")
    page.get_by_role("button", name="Save as smart inventory").click()
    expect(page.locator(".save-area [role=alert]")).to_contain_text("already exists")


def test_a_reader_sees_no_save_and_403s_as_such(page_at, reading):
    page = page_at()
    sign_in(page, reading, reading.reader)
    expect(page.locator("#results .summary")).to_have_text("30 hosts")
    search(page, "name=web01")
    expect(page.locator(".save-area")).to_contain_text("needs a superuser")
    page.goto(reading.url + "/#/inventories/2")
    expect(page.get_by_role("alert")).to_contain_text("403 Forbidden")


def test_inventories_list_and_run_an_update_and_watch_it_finish(page_at, seeded, shot):
    page = page_at()
    sign_in(page, seeded)
    page.get_by_role("link", name="Inventories").click()
    rows = page.locator("main tbody tr")
    expect(rows).to_have_count(6)
    web = rows.filter(has=page.get_by_role("link", name="web", exact=True))
    expect(web.locator("td").nth(2)).to_have_text("30")
    apps = rows.filter(has=page.get_by_role("link", name="apps", exact=True))
    expect(apps.locator("td").nth(3)).to_have_text("git (scm)")
    expect(apps.locator("td").nth(4)).to_have_text("never updated")
    expect(rows.filter(has=page.get_by_role("link", name="ubuntu", exact=True)).locator("td").nth(1)).to_have_text("smart")
    shot(page, "inventories")
    apps.get_by_role("link", name="apps").click()
    expect(page.get_by_role("heading", name="apps")).to_be_visible()
    page.get_by_role("button", name="Update all sources").click()
    results = page.locator(".message table")
    expect(results).to_contain_text("started")
    results.locator("a.update-link").click()
    expect(page.locator("#update-status")).to_have_text("successful", timeout=60000)
    expect(page.locator("#log")).to_contain_text("hosts added 3")
    expect(page.get_by_role("button", name="Cancel update")).to_be_hidden()
    shot(page, "update")
    page.get_by_role("link", name="Updates").click()
    expect(page.locator("main section").first.locator("tbody tr")).to_have_count(1)
    expect(page.locator("main section").first).to_contain_text("successful")
    shot(page, "updates")
    page.get_by_role("link", name="Inventories").click()
    expect(rows.filter(has=page.get_by_role("link", name="apps", exact=True)).locator("td").nth(2)).to_have_text("3")
    expect(rows.filter(has=page.get_by_role("link", name="apps", exact=True)).locator("td").nth(4)).to_have_text("successful")


def test_cancel_a_running_update(page_at, seeded):
    page = page_at()
    sign_in(page, seeded)
    page.goto(seeded.url + "/#/inventories/6")
    expect(page.get_by_role("heading", name="batch")).to_be_visible()
    page.get_by_role("button", name="Update all sources").click()
    page.locator(".message table a.update-link").click()
    expect(page.locator("#update-status")).to_have_text("running", timeout=60000)
    expect(page.locator("#log")).to_contain_text("ansible-inventory", timeout=30000)
    page.get_by_role("button", name="Cancel update").click()
    expect(page.locator(".message")).to_contain_text("Cancel requested (202)")
    expect(page.locator("#update-status")).to_have_text("canceled", timeout=30000)
    expect(page.get_by_role("button", name="Cancel update")).to_be_hidden()
    expect(page.locator("main")).to_contain_text("a cancel of this update was requested")


def test_delete_an_inventory_shows_pending_delete_until_gone(page_at, seeded, shot):
    page = page_at()
    sign_in(page, seeded)
    page.goto(seeded.url + "/#/inventories")
    page.get_by_role("link", name="db", exact=True).click()
    expect(page.get_by_role("heading", name="db")).to_be_visible()
    shot(page, "inventory")
    page.get_by_role("button", name="Delete inventory…").click()
    page.get_by_role("button", name="Yes, delete db").click()
    expect(page.locator(".message")).to_contain_text(re.compile("pending_delete: true|is deleted"))
    expect(page.locator(".message .deleted")).to_contain_text("Inventory db is deleted", timeout=60000)
    assert requests.get(seeded.url + "/api/v2/inventories/?name=db", headers={"Authorization": "Bearer " + seeded.admin},
                        timeout=10).json()["count"] == 0


def test_hostile_names_and_variables_are_text(page_at, reading):
    page = page_at()
    sign_in(page, reading)
    search(page, "inventory__name=edge")
    link = page.get_by_role("link", name=HOSTILE)
    expect(link).to_be_visible()
    assert page.locator("main img").count() == 0
    link.click()
    expect(page.get_by_role("heading", name=HOSTILE)).to_be_visible()
    expect(page.locator("main")).to_contain_text("</script><script>window.__pwned=2</script>")
    page.locator("xpath=//main//details/summary[span[@class='key' and text()='ansible_local']]").click()
    expect(page.locator("main")).to_contain_text(HOSTILE)
    assert page.locator("main img, main script").count() == 0
    assert page.evaluate("window.__pwned === undefined")


def test_keyboard_only_main_flow(page_at, reading):
    page = page_at()
    page.goto(reading.url + "/")
    expect(page.get_by_label("API token")).to_be_focused()
    page.keyboard.type(reading.admin)
    page.keyboard.press("Enter")
    box = page.get_by_role("combobox", name="host_filter")
    expect(box).to_be_focused()
    page.keyboard.type("name=db0")
    page.keyboard.press("Enter")
    expect(page.locator("#results .summary")).to_have_text("0 hosts match")
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.type("name__startswith=db0")
    expect(page.locator("#results .summary")).to_have_text("5 hosts match")
    # Tab from the box reaches the first host link; Enter opens it
    for _step in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.classList.contains('host-link')"):
            break
    assert page.evaluate("document.activeElement.textContent") == "db01"
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in ("", "none")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="db01")).to_be_focused()
    # the navigation: Shift+Tab back to the header's links
    page.locator("#nav a", has_text="Updates").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Updates", exact=True)).to_be_visible()


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_screenshots_of_every_page(page_at, seeded, shot, size):
    page = page_at(DESKTOP if size == "desktop" else PHONE)
    page.goto(seeded.url + "/")
    expect(page.get_by_label("API token")).to_be_visible()
    shot(page, "signin")
    sign_in(page, seeded)
    search(page, "ansible_facts__ansible_distribution=Ubuntu")
    expect(page.locator("#results .summary")).to_have_text("12 hosts match")
    shot(page, "search")
    search(page, "ansible_facts__ansible_distribution=Ubuntu and (groups__name=web")
    expect(page.locator("#filter-error .filter-error")).to_be_visible()
    shot(page, "search-error")
    page.get_by_role("combobox", name="host_filter").fill("ansible_facts__ansible_lo")
    expect(page.locator("#completions [role=option]").first).to_be_visible()
    shot(page, "completion")
    page.goto(seeded.url + "/#/hosts/1")
    expect(page.get_by_role("heading", name="web01")).to_be_visible()
    expect(page.locator("section", has=page.get_by_role("heading", name="Facts"))).to_contain_text("ansible_distribution")
    shot(page, "host")
    page.goto(seeded.url + "/#/inventories")
    expect(page.locator("main tbody tr").first.locator("td").nth(2)).not_to_have_text("…")
    shot(page, "inventories")
    page.goto(seeded.url + "/#/inventories/1")
    expect(page.get_by_role("heading", name="web")).to_be_visible()
    expect(page.locator("section", has=page.get_by_role("heading", name="Groups"))).to_contain_text("frontend")
    shot(page, "inventory")
    page.goto(seeded.url + "/#/inventories/4")
    expect(page.get_by_role("heading", name="ubuntu")).to_be_visible()
    expect(page.locator("section", has=page.get_by_role("heading", name="Hosts (the filter's result)"))).to_contain_text("12 hosts")
    shot(page, "smart-inventory")
    auth = {"Authorization": "Bearer " + seeded.admin}
    started = requests.post(seeded.url + "/api/v2/inventories/5/update_inventory_sources/", headers=auth, timeout=30)
    assert started.status_code == 200, started.text
    update = started.json()["results"][0]["inventory_update"]
    page.goto(seeded.url + "/#/updates/inventory/%d" % update)
    expect(page.locator("#update-status")).to_have_text("successful", timeout=60000)
    expect(page.locator("#log")).to_contain_text("hosts added 3")
    shot(page, "update")
    page.goto(seeded.url + "/#/updates")
    expect(page.get_by_role("heading", name="Updates", exact=True)).to_be_visible()
    expect(page.locator("main .loading")).to_have_count(0)
    expect(page.locator("main section").first).to_contain_text("successful")
    shot(page, "updates")
