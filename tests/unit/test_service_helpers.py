"""The service's helpers without a process: FastAPI validation as AWX's 400, engine errors to statuses, --listen."""

from __future__ import annotations

import json

import pytest
from fastapi.exceptions import RequestValidationError

from ansible_collections.fleet.inventory.plugins.module_utils import errors as engine
from ansible_collections.fleet.inventory.service import errors
from ansible_collections.fleet.inventory.service.__main__ import parse_listen


def _body(response):
    return json.loads(response.body)


def test_request_validation_is_400_naming_the_field():
    exc = RequestValidationError([{"loc": ("body", "extra_vars", "x"), "msg": "Input should be a valid integer", "type": "int_parsing"},
                                  {"loc": ("query", "n"), "msg": "Field required", "type": "missing"}])
    response = errors._validation_error(None, exc)
    assert response.status_code == 400
    assert _body(response) == {"extra_vars.x": ["Input should be a valid integer"], "n": ["Field required"]}


def test_request_validation_of_a_body_that_is_not_json():
    exc = RequestValidationError([{"loc": ("body", 1), "msg": "JSON decode error", "type": "json_invalid"}])
    response = errors._validation_error(None, exc)
    assert response.status_code == 400 and _body(response)["detail"].startswith("JSON parse error")


@pytest.mark.parametrize("exc, status", [
    (engine.NotFound("x"), 404), (engine.PermissionDenied("x"), 403), (engine.ValidationError("x"), 400),
    (engine.NotPending("x"), 400), (engine.UpdateBusy("x"), 409), (engine.LockTimeout("x"), 503), (engine.StoreError("x"), 503),
    (engine.SecretKeyError("x"), 503), (engine.InventorySourceError("x"), 400), (RuntimeError("x"), 500),
])
def test_engine_errors_map_to_awx_statuses(exc, status):
    assert errors.status_of(exc) == status


@pytest.mark.parametrize("text, expected", [("127.0.0.1:8052", ("127.0.0.1", 8052)), ("[::1]:80", ("::1", 80)),
                                            ("localhost:1", ("localhost", 1))])
def test_parse_listen(text, expected):
    assert parse_listen(text) == expected


@pytest.mark.parametrize("text", ["8052", ":8052", "host:", "host:0", "host:70000", "host:abc"])
def test_parse_listen_refuses(text):
    with pytest.raises(ValueError, match="HOST:PORT"):
        parse_listen(text)
