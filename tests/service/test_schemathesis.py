"""A bounded schemathesis run over ``/api/v2/openapi.json`` of a real service process.

Every operation of the description gets generated requests (hypothesis, derandomized: the same cases every run,
no example database, no shrinking, nothing from the network) sent with a superuser's write token to a service over
a seeded store, in three passes: valid requests, valid requests with ``id`` 1 (a seeded object of every kind, so
the real serializers answer), and requests the description does not allow (negative mode).  Each response must not be a 5xx and must conform to the
description: a documented status
code, a documented content type, the documented headers and, where the description has a body schema, a
body that matches it.  Bounded: ``MAX_EXAMPLES`` cases per operation and pass and a ``BUDGET`` of seconds for all.
"""

from __future__ import annotations

import time
import warnings

import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode, checks

from ansible_collections.fleet.inventory.plugins.module_utils.rules import projects as P
from ansible_collections.fleet.inventory.plugins.module_utils.rules import sources as S

MAX_EXAMPLES = {"positive": 25, "negative": 10}  # negative cases are slower to generate
BUDGET = 60.0
CHECKS = [checks.not_a_server_error, checks.status_code_conformance, checks.content_type_conformance,
          checks.response_headers_conformance, checks.response_schema_conformance]
#: requests the description does not allow (negative mode): still no 5xx, and a documented status and content type
NEGATIVE_CHECKS = [checks.not_a_server_error, checks.status_code_conformance, checks.content_type_conformance]


def seed(service):
    with service.open_store() as store:
        store.save_inventory("east", variables={"site": "east"})
        for name in ("h1", "h2", "h3"):
            store.save_host("east", name, variables={"distro": "Debian" if name != "h2" else "RedHat"})
        store.save_group("east", "web", hosts=["h1", "h2"])
        store.save_inventory("debian", kind="smart", host_filter="variables__distro=Debian")
        P.save_project(store, "infra", scm_url="file:///nonexistent/repo.git", scm_branch="main")
        S.save_source(store, "east", "manual-ish", source="scm", source_project="infra", source_path="hosts.ini",
                      update_project=False)


def test_schemathesis_no_5xx_and_responses_conform(start_service, store_target):
    service = start_service(store_target, workers=0)  # POSTed updates stay pending: no update processes eat the budget
    seed(service)
    token = service.superuser_token()
    headers = {"Authorization": "Bearer %s" % token}
    schema = schemathesis.openapi.from_url(service.url + "/api/v2/openapi.json")
    session = requests.Session()
    started = time.monotonic()
    cases = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 20

    passes = [(GenerationMode.POSITIVE, None), (GenerationMode.POSITIVE, {"id": "1"}), (GenerationMode.NEGATIVE, None)]
    planned = [(mode, ids, op) for mode, ids in passes for op in operations if ids is None or "{id}" in op.path]
    for number, (mode, ids, operation) in enumerate(planned):
        checked = CHECKS if mode is GenerationMode.POSITIVE else NEGATIVE_CHECKS
        if time.monotonic() - started > BUDGET:  # a slow machine: stop, say what was left out
            warnings.warn("schemathesis: the %.0f s budget ran out; %d of %d runs not done"
                          % (BUDGET, len(planned) - number, len(planned)))
            break

        @settings(max_examples=MAX_EXAMPLES[mode.value], derandomize=True, database=None, deadline=None, print_blob=False,
                  phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy(mode, path_parameters=ids))
        def run(case):
            cases.append(case.method + " " + case.formatted_path)
            # a failing check raises schemathesis' FailureGroup (with a curl line that reproduces it)
            case.call_and_validate(base_url=service.url, session=session, headers=headers, timeout=30,
                                   checks=checked)  # pylint: disable=cell-var-from-loop  # run() runs in this iteration

        try:
            run()
        except Unsatisfiable:  # negative mode: an operation without parameters has no invalid request to make
            if mode is GenerationMode.POSITIVE:
                raise
    print("schemathesis: %d cases over %d operations (3 passes) in %.1f s" % (len(cases), len(operations), time.monotonic() - started))
    assert len(cases) >= len(operations) // 2, cases
