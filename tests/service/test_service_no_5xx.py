"""No request of the OpenAPI description's GET paths makes the service fail with a 5xx (a bounded, hand-made sweep)."""

from __future__ import annotations

import itertools

import pytest

IDS = ["1", "0", "99999999999999999999", "-1", "abc", "1e3", "%00", "１"]
QUERIES = ["", "page=99999999999999999999", "page_size=99999999999999999999", "id=99999999999999999999",
           "id__in=1,99999999999999999999", "order_by=-id,name", "order_by=", "name__in=", "name__isnull=maybe",
           "host_filter=name%3D%00", "search=%25_", "or__id=x", "not__name=a&or__name=b", "inventory__name__icontains=a",
           "hostvars=1&towervars=1&all=1", "enabled=yes", "name__gt=a", "format=txt"]


@pytest.fixture(scope="module")
def paths(shared_service):
    with shared_service.open_store() as store:
        store.save_inventory("inv")
        store.save_host("inv", "h1")
        store.save_inventory("sm", kind="smart", host_filter="name=h1")
    spec = shared_service.get("/api/v2/openapi.json").json()
    return sorted(path for path, item in spec["paths"].items() if "get" in item)


def test_no_get_path_answers_5xx(shared, paths):
    token = shared.superuser_token()
    failures = []
    for path in paths:
        for raw_id, query in itertools.islice(itertools.product(IDS, QUERIES), 0, None, 5 if "{id}" in path else 1):
            url = path.replace("{id}", raw_id)
            resp = shared.get(url + ("?" + query if query else ""), token=token)
            if resp.status_code >= 500:
                failures.append("%s?%s -> %d %s" % (url, query, resp.status_code, resp.text[:200]))
    assert failures == []
