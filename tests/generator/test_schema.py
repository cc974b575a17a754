"""`pystator-gen schema`: the JSON Schema of machine files, as committed and as printed.

The schema must accept every example machine and reject what the compiler rejects as a key.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from pystator.generator import cli
from pystator.generator.load import load_file

ROOT = Path(__file__).resolve().parents[2]
SCHEMA_FILE = ROOT / "schema" / "pystator-machine.schema.json"
EXAMPLE_MACHINES = sorted((ROOT / "examples").rglob("*.yaml"))
DIRECTIVE = re.compile(r"^# yaml-language-server: \$schema=(\S+)$")


def _printed_schema() -> str:
    result = CliRunner().invoke(cli.main, ["schema"])
    assert result.exit_code == 0, result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    printed: dict[str, Any] = json.loads(_printed_schema())
    return printed


def test_schema_command_prints_a_valid_json_schema(schema: dict[str, Any]) -> None:
    import jsonschema

    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["required"] == ["states"]
    assert {"meta", "states", "transitions", "events"} <= set(schema["properties"])


def test_committed_schema_file_equals_the_command_output() -> None:
    assert SCHEMA_FILE.read_text(encoding="utf-8") == _printed_schema(), (
        "schema/pystator-machine.schema.json is stale: "
        "run `pystator-gen schema > schema/pystator-machine.schema.json`"
    )


@pytest.mark.parametrize("path", EXAMPLE_MACHINES, ids=lambda p: p.name)
def test_schema_accepts_the_example_machine(schema: dict[str, Any], path: Path) -> None:
    import jsonschema

    errors = list(jsonschema.Draft202012Validator(schema).iter_errors(load_file(path).data))
    assert errors == [], [error.message for error in errors]


def test_schema_accepts_one_item_where_a_list_is_expected(schema: dict[str, Any]) -> None:
    import jsonschema

    machine = {
        "states": [{"name": "a", "type": "initial", "on_enter": "log"}, {"name": "b"}],
        "transitions": [{"trigger": "go", "source": "a", "dest": "b", "guards": "ok"}],
    }
    jsonschema.validate(machine, schema)


def test_schema_rejects_an_unknown_key_and_a_wrong_type(schema: dict[str, Any]) -> None:
    import jsonschema

    validator = jsonschema.Draft202012Validator(schema)
    misspelt = {"states": [{"name": "a", "type": "initial"}], "transitons": []}
    wrong_type = {"states": [{"name": "a", "type": "start"}]}
    assert not validator.is_valid(misspelt)
    assert not validator.is_valid(wrong_type)


@pytest.mark.parametrize("path", EXAMPLE_MACHINES, ids=lambda p: p.name)
def test_example_points_the_yaml_language_server_at_the_schema(path: Path) -> None:
    first_line = path.read_text(encoding="utf-8").splitlines()[0]
    match = DIRECTIVE.match(first_line)
    assert match, f"{path.name} does not start with the yaml-language-server directive"
    assert (path.parent / match.group(1)).resolve() == SCHEMA_FILE
