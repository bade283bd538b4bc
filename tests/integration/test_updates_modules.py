"""The inventory_source_update and update_inventory_sources modules, run by ansible-playbook.

AWX's outcomes of update_inventory_sources (200 / 202 / 400 / 400), its GET view (list_only),
failed updates with their log, check mode, and wait=false (a background update that outlives
the task and the ansible-playbook worker that ran it).
"""

from __future__ import annotations


import pytest

from ansible_collections.fleet.inventory.plugins.module_utils.store.core import Store

from git_repo import make_repo
from scaffolding import dump, failed, play

NOT_STARTED = "Could not start because `can_update` returned False"


@pytest.fixture
def store_path(ansible_env, tmp_path) -> str:
    """A store with inventory 'prod', project 'infra' and the scm sources 'web' and 'db' (not updated yet)."""
    path = ansible_env["FLEET_INVENTORY_STORE"]
    url = make_repo(tmp_path / "git", {
        "web.ini": "[web]\nweb1\nweb2\n",
        "db.yml": "all:\n  children:\n    db:\n      hosts:\n        db1:\n          role: primary\n",
        "broken.ini": "[web\n",
    })
    from ansible_collections.fleet.inventory.plugins.module_utils.rules import projects, sources

    with Store(path) as s:
        s.save_inventory("prod")
        projects.save_project(s, "infra", scm_url=url, scm_branch="main")
        sources.save_source(s, "prod", "web", source="scm", source_project="infra", source_path="web.ini")
        sources.save_source(s, "prod", "db", source="scm", source_project="infra", source_path="db.yml")
    return path


def hosts(path, inventory="prod"):
    with Store(path) as s:
        return sorted(h["name"] for h in s.list_hosts(inventory))


# ------------------------------------------------------------------------------ inventory_source_update


def test_update_one_source(run_playbook, store_path):
    res = run_playbook(play("""\
    - name: Preview
      fleet.inventory.inventory_source_update:
        name: web
        inventory: prod
      check_mode: true
    - name: Update
      fleet.inventory.inventory_source_update:
        name: web
        inventory: prod
    - name: Again
      fleet.inventory.inventory_source_update:
        name: web
        inventory: prod
"""))
    preview = res.task("Preview")
    assert preview["changed"] is True and preview["id"] is None  # the project has no checkout yet: it would update
    update = res.task("Update")
    assert update["changed"] is True and update["status"] == "successful"
    rec = update["inventory_update"]
    assert rec["counts"]["hosts"]["added"] == 2 and rec["scm_revision"]
    assert rec["source_project_update"] is not None  # the project was checked out first
    assert "ansible-inventory -i" in rec["result_stdout"]
    again = res.task("Again")
    assert again["changed"] is False and again["inventory_update"]["counts"]["hosts"]["unchanged"] == 2
    assert hosts(store_path) == ["web1", "web2"]


def test_check_mode_writes_nothing(run_playbook, store_path):
    run_playbook(play("""\
    - name: Update
      fleet.inventory.inventory_source_update:
        name: web
        inventory: prod
"""))
    before = dump(store_path)
    res = run_playbook(play("""\
    - name: Preview
      fleet.inventory.inventory_source_update:
        name: db
        inventory: prod
"""), check=True)
    preview = res.task("Preview")
    assert preview["changed"] is True and preview["counts"]["hosts"]["added"] == 1
    assert dump(store_path) == before


def test_failed_update_fails_the_task_with_its_log(run_playbook, store_path):
    with Store(store_path) as s:
        from ansible_collections.fleet.inventory.plugins.module_utils.rules import sources

        sources.save_source(s, "prod", "web", source_path="broken.ini")
        sources.save_source(s, "prod", "db", source_path="missing.ini")
    res = run_playbook(play("""\
    - name: Broken
      fleet.inventory.inventory_source_update:
        name: web
        inventory: prod
      ignore_errors: true
    - name: Missing
      fleet.inventory.inventory_source_update:
        name: db
        inventory: prod
      ignore_errors: true
"""))
    broken = failed(res.task("Broken"))
    assert "inventory update" in broken["msg"] and "failed: cannot read inventory source" in broken["msg"]
    assert broken["inventory_update"]["status"] == "failed"
    assert "broken.ini" in broken["inventory_update"]["result_stdout"]
    missing = failed(res.task("Missing"))
    assert "no such file or directory" in missing["msg"]
    assert hosts(store_path) == []


def test_manual_source_cannot_update(run_playbook, store_path):
    with Store(store_path) as s:
        from ansible_collections.fleet.inventory.plugins.module_utils.rules import sources

        sources.save_source(s, "prod", "manual")
    before = dump(store_path)
    res = run_playbook(play("""\
    - name: Bad task
      fleet.inventory.inventory_source_update:
        name: manual
        inventory: prod
      ignore_errors: true
"""))
    assert "manual inventory sources are never updated" in failed(res.task("Bad task"))["msg"]
    assert dump(store_path) == before


def test_busy_inventory_is_refused_clearly(run_playbook, store_path):
    # a running update of another node whose lease holds
    with Store(store_path) as s:
        with s.transaction():
            s.execute("INSERT INTO inventory_updates (inventory_source_id, inventory_id, status, created, started, pid, hostname,"
                      " lease_expires, heartbeat) VALUES (2, 1, 'running', 'x', '2026-01-01T00:00:00+00:00', 4242, 'node-b',"
                      " '9999-01-01T00:00:00.000000+00:00', '2026-01-01T00:00:01.000000+00:00')")
    before = dump(store_path)
    res = run_playbook(play("""\
    - name: Bad task
      fleet.inventory.inventory_source_update:
        name: web
        inventory: prod
        timeout: 1
      ignore_errors: true
"""))
    msg = failed(res.task("Bad task"))["msg"]
    assert "inventory 'prod' is being updated by update 1 of source 'db' (node node-b, pid 4242" in msg
    assert "gave up waiting after 1 seconds" in msg
    assert dump(store_path) == before
    # node-b stops renewing its lease: the next update records it failed and runs
    with Store(store_path) as s:
        with s.transaction():
            s.execute("UPDATE inventory_updates SET lease_expires = '2026-01-01T00:00:31.000000+00:00' WHERE id = 1")
    res = run_playbook(play("""\
    - name: Update
      fleet.inventory.inventory_source_update:
        name: web
        inventory: prod
        timeout: 0
"""))
    assert res.task("Update")["status"] == "successful"
    from ansible_collections.fleet.inventory.plugins.module_utils.rules import updates

    with Store(store_path) as s:
        assert updates.get_update(s, 1)["job_explanation"] == (
            "node node-b stopped renewing the lease of this update at 2026-01-01T00:00:01.000000+00:00")


def test_wait_false_outlives_the_module(run_playbook, store_path):
    res = run_playbook(play("""\
    - name: Start
      fleet.inventory.inventory_source_update:
        name: web
        inventory: prod
        wait: false
"""))
    started = res.task("Start")
    assert started["changed"] is True and started["status"] in ("pending", "running", "successful")
    from ansible_collections.fleet.inventory.plugins.module_utils.rules import updates

    with Store(store_path) as s:
        rec = updates.wait_for_update(s, started["id"], timeout=300)
    assert rec["status"] == "successful", rec["result_stdout"]
    assert hosts(store_path) == ["web1", "web2"]


# ------------------------------------------------------------------------------ update_inventory_sources


def test_200_every_source_started(run_playbook, store_path):
    res = run_playbook(play("""\
    - name: List
      fleet.inventory.update_inventory_sources:
        inventory: prod
        list_only: true
    - name: Update
      fleet.inventory.update_inventory_sources:
        inventory: prod
"""))
    listing = res.task("List")
    assert listing["changed"] is False
    assert [(e["name"], e["can_update"]) for e in listing["inventory_updates"]] == [("web", True), ("db", True)]
    update = res.task("Update")
    assert update["status_code"] == 200 and update["changed"] is True
    assert [e["status"] for e in update["inventory_updates"]] == ["started", "started"]
    assert [e["update_status"] for e in update["inventory_updates"]] == ["successful", "successful"]
    assert hosts(store_path) == ["db1", "web1", "web2"]


def test_202_some_started(run_playbook, store_path):
    with Store(store_path) as s:
        from ansible_collections.fleet.inventory.plugins.module_utils.rules import sources

        sources.save_source(s, "prod", "legacy", source="file")
    res = run_playbook(play("""\
    - name: Update
      fleet.inventory.update_inventory_sources:
        inventory: prod
"""))
    update = res.task("Update")
    assert update["status_code"] == 202
    assert [e["status"] for e in update["inventory_updates"]] == ["started", "started", NOT_STARTED]


def test_400_none_could_start(run_playbook, store_path):
    with Store(store_path) as s:
        with s.transaction():
            s.execute("UPDATE inventory_sources SET source = 'file', source_project_id = NULL, source_path = ''")
    before = dump(store_path)
    res = run_playbook(play("""\
    - name: Update
      fleet.inventory.update_inventory_sources:
        inventory: prod
      ignore_errors: true
"""))
    update = failed(res.task("Update"))
    assert update["status_code"] == 400
    assert "no inventory source of inventory 'prod' could start" in update["msg"]
    assert [e["status"] for e in update["inventory_updates"]] == [NOT_STARTED, NOT_STARTED]
    assert dump(store_path) == before


def test_400_no_sources(run_playbook, store_path):
    res = run_playbook(play("""\
    - name: Empty
      fleet.inventory.inventory:
        name: empty
    - name: Update
      fleet.inventory.update_inventory_sources:
        inventory: empty
      ignore_errors: true
"""))
    update = failed(res.task("Update"))
    assert update["status_code"] == 400 and update["msg"] == "No inventory sources to update."
    assert update["detail"] == "No inventory sources to update." and update["inventory_updates"] == []


def test_a_failed_update_fails_the_task_but_is_still_started(run_playbook, store_path):
    with Store(store_path) as s:
        from ansible_collections.fleet.inventory.plugins.module_utils.rules import sources

        sources.save_source(s, "prod", "db", source_path="broken.ini")
    res = run_playbook(play("""\
    - name: Update
      fleet.inventory.update_inventory_sources:
        inventory: prod
      ignore_errors: true
"""))
    update = failed(res.task("Update"))
    assert update["status_code"] == 200
    assert "1 inventory update(s) of inventory 'prod' failed: 'db'" in update["msg"]
    assert [e["update_status"] for e in update["inventory_updates"]] == ["successful", "failed"]
    assert hosts(store_path) == ["web1", "web2"]


def test_wait_false_starts_every_source(run_playbook, store_path):
    res = run_playbook(play("""\
    - name: Start
      fleet.inventory.update_inventory_sources:
        inventory: prod
        wait: false
"""))
    start = res.task("Start")
    assert start["status_code"] == 200 and start["changed"] is True
    from ansible_collections.fleet.inventory.plugins.module_utils.rules import updates

    with Store(store_path) as s:
        done = [updates.wait_for_update(s, e["inventory_update"], timeout=300) for e in start["inventory_updates"]]
    assert [d["status"] for d in done] == ["successful", "successful"], [d["result_stdout"] for d in done]
    assert hosts(store_path) == ["db1", "web1", "web2"]


def test_update_inventory_sources_check_mode_writes_nothing(run_playbook, store_path):
    run_playbook(play("""\
    - name: Update
      fleet.inventory.inventory_source_update:
        name: web
        inventory: prod
"""))
    before = dump(store_path)
    res = run_playbook(play("""\
    - name: Preview
      fleet.inventory.update_inventory_sources:
        inventory: prod
"""), check=True)
    preview = res.task("Preview")
    assert preview["changed"] is True and preview["status_code"] == 200
    counts = {e["name"]: e["counts"]["changed"] for e in preview["inventory_updates"]}
    assert counts == {"web": False, "db": True}
    assert dump(store_path) == before
