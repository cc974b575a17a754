"""Schemathesis against the API's own OpenAPI schema: no 5xx, no schema violations.

The app runs on a SQLite file that already holds the order machine and one entity, so
generated requests reach the stored-machine and entity code paths too. Every operation of
the schema gets a test of its own, named after it (`test_post_api_v1_process_conforms`), so each is
reported, selected and counted by pytest like any other test.
"""

from __future__ import annotations

import re
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

from tests.api.support import ORDER_YAML, api_settings, create_app

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

_DIRECTORY = Path(tempfile.mkdtemp(prefix="pystator-schemathesis-"))
app = create_app(api_settings(f"sqlite:///{_DIRECTORY / 'api.db'}"))
with TestClient(app) as _client:
    _client.post("/api/v1/machines", json={"yaml": ORDER_YAML})
    _client.post("/api/v1/entities", json={"machine_id": "order_management", "entity_id": "o-1"})

schema = schemathesis.openapi.from_asgi("/openapi.json", app)
#: "GET /api/v1/machines/{machine_id}" for every operation, in the schema's order.
OPERATIONS = [result.ok().label for result in schema.get_all_operations()]


def conforms_to_its_schema(case: schemathesis.Case) -> None:
    # Every response is checked for 5xx, documented status codes, content types and body
    # schemas. The two data-acceptance checks are left out on purpose: a schema-valid body
    # may hold YAML that does not compile (422 with diagnostics), and an over-long body is
    # refused with 413 before it is parsed.
    case.call_and_validate(excluded_checks=[positive_data_acceptance, negative_data_rejection])


def _test_name(operation: str) -> str:
    """`GET /api/v1/entities/{entity_id}` -> `test_get_api_v1_entities_entity_id_conforms`."""
    return "_".join(["test", *re.findall(r"[a-z0-9]+", operation.lower()), "conforms"])


def _operation_test(operation: str) -> Callable[..., None]:
    """One schemathesis test that covers `operation` only, under its own name.

    Schemathesis names the tests of one function after the function alone, so a test
    function per operation is what gives each one its own pytest id.
    """

    def test(case: schemathesis.Case) -> None:
        conforms_to_its_schema(case)

    test.__name__ = test.__qualname__ = _test_name(operation)
    test.__doc__ = f"{operation} answers as its schema says."
    configured = settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
    return schema.include(name=operation).parametrize()(configured(test))


for _operation in OPERATIONS:
    globals()[_test_name(_operation)] = _operation_test(_operation)


def test_every_operation_of_the_openapi_document_has_a_test_of_its_own() -> None:
    documented = {
        f"{method.upper()} {path}"
        for path, item in app.openapi()["paths"].items()
        for method in item
    }
    names = [_test_name(operation) for operation in OPERATIONS]
    assert set(OPERATIONS) == documented and len(set(names)) == len(OPERATIONS)
    assert all(callable(globals()[name]) for name in names)
