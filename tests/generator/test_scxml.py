"""SCXML export: the document parses and its structure matches the machine."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from pystator.generator import cli
from pystator.generator.pipeline import compile_path
from pystator.generator.scxml import NAMESPACE, to_scxml
from pystator.runtime.spec import MachineSpec
from tests.conftest import EXAMPLES, ROOT

Write = Callable[..., Path]
NS = f"{{{NAMESPACE}}}"
MACHINES = [*sorted(EXAMPLES.glob("*.yaml")), ROOT / "tests" / "fixtures" / "player_history.yaml"]


def parse(spec: MachineSpec) -> ET.Element:
    return ET.fromstring(to_scxml(spec, "machine.yaml").encode("utf-8"))


def tag(element: ET.Element) -> str:
    return element.tag.removeprefix(NS)


def by_id(root: ET.Element) -> dict[str, ET.Element]:
    return {e.attrib["id"]: e for e in root.iter() if "id" in e.attrib and tag(e) != "send"}


def parents(root: ET.Element) -> dict[ET.Element, ET.Element]:
    return {child: parent for parent in root.iter() for child in parent}


@pytest.mark.parametrize("path", MACHINES, ids=lambda p: p.name)
def test_structure_matches_the_machine(path: Path) -> None:
    spec = compile_path(path).spec
    root = parse(spec)
    assert tag(root) == "scxml"
    assert root.attrib["version"] == "1.0" and root.attrib["name"] == spec.name
    elements = by_id(root)
    up = parents(root)
    for state in spec.states:
        element = elements[state.name]
        expected = "final" if state.is_terminal else "parallel" if state.is_parallel else "state"
        assert tag(element) == expected, state.name
        container = up[element]
        if state.parent is None:
            assert container is root
        elif state.region is not None:
            # Region states sit in a region wrapper inside their parallel state.
            assert tag(container) == "state" and container.attrib["initial"] in {
                r.initial for r in elements_regions(spec, state.parent)
            }
            assert up[container] is elements[state.parent]
        else:
            assert container is elements[state.parent]
        if state.initial_child is not None:
            assert element.attrib["initial"] == state.initial_child
    for transition in spec.transitions:
        for source in transition.source:
            own = [t for t in elements[source] if tag(t) == "transition"]
            events = [t.attrib.get("event") for t in own]
            if transition.auto:
                assert None in events
            else:
                assert transition.trigger in events


def elements_regions(spec: MachineSpec, parallel: str) -> tuple[object, ...]:
    state = spec.state(parallel)
    assert state is not None
    return tuple(state.regions)


def test_parallel_regions_become_parallel_with_one_state_per_region() -> None:
    root = parse(compile_path(EXAMPLES / "day_trading_fsm.yaml").spec)
    active = by_id(root)["active"]
    assert tag(active) == "parallel"
    regions = [child for child in active if tag(child) == "state"]
    assert [r.attrib["initial"] for r in regions] == ["scanning", "normal", "connecting"]
    assert [r.attrib["id"] for r in regions] == [
        "active.trading",
        "active.risk_monitor",
        "active.data_feed",
    ]
    assert [c.attrib["id"] for c in regions[0] if tag(c) == "state"] == [
        "scanning",
        "analyzing",
        "executing",
    ]
    leave = [t for t in active if tag(t) == "transition"]
    assert [(t.attrib["event"], t.attrib["target"]) for t in leave] == [("market_close", "closed")]
    guarded = by_id(root)["analyzing"].find(f"{NS}transition")
    assert guarded is not None and guarded.attrib["cond"] == "(risk_ok)"


def test_history_destinations_become_history_states() -> None:
    root = parse(compile_path(ROOT / "tests" / "fixtures" / "player_history.yaml").spec)
    elements = by_id(root)
    on = elements["on"]
    histories = {h.attrib["type"]: h for h in on if tag(h) == "history"}
    assert set(histories) == {"shallow", "deep"}
    for history in histories.values():
        default = history.find(f"{NS}transition")
        assert default is not None and default.attrib["target"] == "on.radio"
    off = {t.attrib["event"]: t.attrib["target"] for t in elements["off"] if tag(t) == "transition"}
    assert off == {
        "power": "on",
        "power_shallow": histories["shallow"].attrib["id"],
        "power_deep": histories["deep"].attrib["id"],
    }
    entry = on.find(f"{NS}onentry/{NS}script")
    assert entry is not None and entry.text == "power_up()"


def test_timers_internal_auto_effects_and_descendant_targets(write_yaml: Write) -> None:
    path = write_yaml(
        """\
        meta: {machine_name: job}
        state_variables:
          - {key: retries, type: integer, default: 0}
        states:
          - {name: idle, type: initial, timeout: {seconds: 1.5, destination: done}}
          - {name: busy, initial_child: busy.a}
          - {name: busy.a, parent: busy}
          - {name: busy.b, parent: busy, on_enter: [{set: {flag: true}}, {increment: retries}]}
          - {name: check}
          - {name: done, type: terminal}
        transitions:
          - {trigger: start, source: idle, dest: busy, actions: [{name: log, params: {n: 1}}]}
          - {source: busy.a, dest: check, after: 5m}
          - source: check
            dest: done
            auto: true
            guards: [{check: {field: retries, op: gt, value: 2}}]
          - {source: check, dest: busy, auto: true}
          - {trigger: poke, source: busy, dest: busy, internal: true, actions: [log]}
          - {trigger: jump, source: busy, dest: busy.b}
        """
    )
    root = parse(compile_path(path).spec)
    elements = by_id(root)
    datamodel = root.find(f"{NS}datamodel")
    assert datamodel is not None
    assert [(d.attrib["id"], d.attrib.get("expr")) for d in datamodel] == [("retries", "0")]
    idle = elements["idle"]
    send = idle.find(f"{NS}onentry/{NS}send")
    cancel = idle.find(f"{NS}onexit/{NS}cancel")
    assert send is not None and cancel is not None
    assert send.attrib["delay"] == "1500ms" and cancel.attrib["sendid"] == send.attrib["id"]
    timeout = [
        t for t in idle if tag(t) == "transition" and t.attrib["event"] == send.attrib["event"]
    ]
    assert len(timeout) == 1 and timeout[0].attrib["target"] == "done"
    delayed = elements["busy.a"].find(f"{NS}onentry/{NS}send")
    assert delayed is not None and delayed.attrib["delay"] == "300000ms"
    autos = [t.attrib for t in elements["check"] if tag(t) == "transition"]
    assert autos == [
        {"cond": "(retries is not None and retries > 2)", "target": "done"},
        {"target": "busy"},
    ]
    busy = {t.attrib["event"]: t for t in elements["busy"] if tag(t) == "transition"}
    assert "target" not in busy["poke"].attrib
    assert busy["jump"].attrib == {"event": "jump", "target": "busy.b", "type": "internal"}
    assigns = [a.attrib for a in elements["busy.b"].iter(f"{NS}assign")]
    assert assigns == [
        {"location": "flag", "expr": "True"},
        {"location": "retries", "expr": "retries + 1"},
    ]
    script = elements["idle"].find(f"{NS}transition/{NS}script")
    assert script is not None and script.text == "log(n=1)"


def test_a_timeout_under_an_event_normaliser_arms_one_send(write_yaml: Write) -> None:
    path = write_yaml(
        """\
        meta: {machine_name: job, event_normalizer: upper}
        states:
          - {name: idle, type: initial, timeout: {seconds: 2, destination: done}}
          - {name: done, type: terminal}
        transitions:
          - {trigger: go, source: idle, dest: done}
        """
    )
    idle = by_id(parse(compile_path(path).spec))["idle"]
    sends = [send.attrib for send in idle.iter(f"{NS}send")]
    assert [(send["event"], send["delay"]) for send in sends] == [("_TIMEOUT_IDLE", "2000ms")]
    assert [c.attrib["sendid"] for c in idle.iter(f"{NS}cancel")] == [sends[0]["id"]]
    events = [t.attrib.get("event") for t in idle if tag(t) == "transition"]
    assert events == ["GO", "_TIMEOUT_IDLE"]


def test_hostile_text_stays_inside_attributes_and_comments(write_yaml: Write) -> None:
    path = write_yaml(
        """\
        meta: {machine_name: evil}
        states:
          - {name: A, type: initial, description: "--> <b>&amp; -- end -"}
          - {name: B, type: terminal}
        transitions:
          - {trigger: go, source: A, dest: B, guards: [{expr: "s == '\\"<&>\\"'"}]}
        """
    )
    spec = compile_path(path).spec
    root = parse(spec)
    transition = by_id(root)["A"].find(f"{NS}transition")
    assert transition is not None and transition.attrib["cond"] == "(s == '\"<&>\"')"


def test_export_command(tmp_path: Path) -> None:
    source = str(ROOT / "tests" / "fixtures" / "player_history.yaml")
    result = CliRunner().invoke(cli.main, ["export", "--scxml", source])
    assert result.exit_code == 0 and result.stdout.startswith("<?xml")
    target = tmp_path / "player.scxml"
    result = CliRunner().invoke(cli.main, ["export", "--scxml", source, "-o", str(target)])
    assert result.exit_code == 0
    assert ET.parse(target).getroot().attrib["name"] == "player"
    assert CliRunner().invoke(cli.main, ["export", source]).exit_code == 2
