"""Check states: names, initial states, parallel regions, the parent hierarchy, and the
names states refer to (old names, invoked services, timeouts, the fallback state)."""

from __future__ import annotations

from pystator.generator import names
from pystator.generator.checking import Reporter, unknown_state
from pystator.generator.hierarchy import build_tree, depths, find_cycle
from pystator.generator.load import Path
from pystator.generator.schema import MachineConfig, StateDef


def check_states(config: MachineConfig, report: Reporter) -> dict[str, int]:
    first: dict[str, int] = {}
    initial: list[int] = []
    for index, state in enumerate(config.states):
        path: Path = ("states", index, "name")
        if not names.is_source_name(state.name):
            report.error(
                "PS207",
                path,
                f"state name {state.name!r} cannot become a Python identifier.",
                "Use ASCII letters, digits, '_', '.' or '-', starting with a letter.",
            )
        if state.name in first:
            line = report.document.position(("states", first[state.name], "name")).line
            report.error(
                "PS203",
                path,
                f"state {state.name!r} is defined twice (first on line {line}).",
                "Rename or remove one of them.",
            )
        else:
            first[state.name] = index
        if state.type == "initial":
            initial.append(index)
        if state.regions and state.type != "parallel":
            report.error(
                "PS221",
                ("states", index, "regions"),
                f"state {state.name!r} has regions but is not `type: parallel`.",
                "Add `type: parallel`, or remove `regions:`.",
            )
        elif state.type == "parallel":
            _check_regions(report, index, state)
    if not initial:
        report.error(
            "PS201",
            ("states",),
            "the machine has no initial state.",
            "Give exactly one state `type: initial`.",
            key=True,
        )
    for index in initial[1:]:
        first_line = report.document.position(("states", initial[0], "type")).line
        report.error(
            "PS202",
            ("states", index, "type"),
            f"state {config.states[index].name!r} is a second initial state "
            f"(the first is on line {first_line}).",
            "Keep `type: initial` on one state only.",
        )
    return first


def _check_regions(report: Reporter, index: int, state: StateDef) -> None:
    base: Path = ("states", index)
    if not state.regions:
        report.error(
            "PS221",
            (*base, "type"),
            f"parallel state {state.name!r} has no regions.",
            "List its regions under `regions:` (name, initial, states).",
        )
    seen: dict[str, str] = {}
    names_seen: set[str] = set()
    for position, region in enumerate(state.regions):
        path: Path = (*base, "regions", position)
        if region.name in names_seen:
            report.error(
                "PS221",
                (*path, "name"),
                f"region {region.name!r} is defined twice.",
                "Rename one of them.",
            )
        names_seen.add(region.name)
        if region.initial not in region.states:
            report.error(
                "PS221",
                (*path, "initial"),
                f"initial state {region.initial!r} of region {region.name!r} is not among its "
                "states.",
                report.did_you_mean(region.initial, region.states)
                or "Add it to the region's states.",
            )
        for name in region.states:
            if name in seen:
                report.error(
                    "PS221",
                    (*path, "states"),
                    f"state {name!r} is in regions {seen[name]!r} and {region.name!r}.",
                    "A state belongs to one region only.",
                )
            seen[name] = region.name


def check_hierarchy(
    config: MachineConfig, report: Reporter, known: dict[str, int], max_depth: int
) -> None:
    parents: dict[str, str | None] = {}
    for index, state in enumerate(config.states):
        if state.parent is not None:
            if state.parent not in known:
                unknown_state(report, ("states", index, "parent"), state.parent, known, "parent")
                continue
            if state.parent == state.name:
                report.error(
                    "PS215",
                    ("states", index, "parent"),
                    f"state {state.name!r} is its own parent.",
                    "Point `parent` at the enclosing compound state.",
                )
                continue
        parents.setdefault(state.name, state.parent)
    cycle = find_cycle(parents)
    if cycle is not None:
        index = known[cycle[0]]
        report.error(
            "PS215",
            ("states", index, "parent"),
            "parent links form a cycle: " + " -> ".join((*cycle, cycle[0])) + ".",
            "Every chain of parents must end at a top-level state.",
        )
        return
    # Lowering walks every state's ancestors, so the depth must be bounded before it does.
    depth = depths(parents)
    for name, index in known.items():
        if depth.get(name, 0) > max_depth:
            report.error(
                "PS004",
                ("states", index, "parent"),
                f"state {name!r} is nested {depth[name]} levels deep, over the limit of "
                f"{max_depth} levels.",
                "Flatten the hierarchy; a machine needs only a few levels of nesting.",
            )
            return
    initial_children = {s.name: s.initial_child for s in config.states}
    tree = build_tree(list(known), parents, initial_children)
    for index, state in enumerate(config.states):
        if known.get(state.name) != index:
            continue
        children = tree.children.get(state.name, ())
        if state.initial_child is not None:
            if state.initial_child not in known:
                unknown_state(
                    report,
                    ("states", index, "initial_child"),
                    state.initial_child,
                    known,
                    "initial_child",
                )
            elif not children:
                report.error(
                    "PS217",
                    ("states", index, "initial_child"),
                    f"state {state.name!r} has an initial_child but no child states.",
                    f"Give {state.initial_child!r} `parent: {state.name}`, or remove "
                    "initial_child.",
                )
            elif state.initial_child not in children:
                report.error(
                    "PS216",
                    ("states", index, "initial_child"),
                    f"initial_child {state.initial_child!r} is not a child of {state.name!r}.",
                    report.did_you_mean(state.initial_child, children)
                    or f"Choose one of: {', '.join(children)}.",
                )
        elif children and state.type != "parallel":
            report.error(
                "PS217",
                ("states", index, "name"),
                f"compound state {state.name!r} has children but no initial_child.",
                f"Add `initial_child: {children[0]}` (or another child).",
            )
        if children and state.type == "terminal":
            report.error(
                "PS218",
                ("states", index, "type"),
                f"terminal state {state.name!r} has child states.",
                "Make the terminal state a leaf, or give it another type.",
            )


def check_references(config: MachineConfig, report: Reporter, known: dict[str, int]) -> None:
    """Names that states and the error policy refer to: old names, invoked services'
    events, timeout destinations and the fallback state."""
    events = {transition.trigger for transition in config.transitions if transition.trigger}
    old_names: dict[str, str] = {}
    for index, state in enumerate(config.states):
        for old_index, old in enumerate(state.renamed_from):
            where = ("states", index, "renamed_from", old_index)
            if old in known:
                report.error(
                    "PS224",
                    where,
                    f"state {state.name!r} is renamed from {old!r}, which is still a state.",
                    "Remove the old name from `renamed_from`, or rename the other state.",
                )
            elif old in old_names:
                report.error(
                    "PS224",
                    where,
                    f"{old!r} is listed in `renamed_from` of both {old_names[old]!r} and "
                    f"{state.name!r}.",
                    "Keep the old name on the one state its entities should move to.",
                )
            old_names.setdefault(old, state.name)
    for index, state in enumerate(config.states):
        seen_ids: set[str] = set()
        for item_index, item in enumerate(state.invoke):
            where = ("states", index, "invoke", item_index)
            if item.id in seen_ids:
                report.error(
                    "PS223",
                    (*where, "id"),
                    f"state {state.name!r} invokes two services with the id {item.id!r}.",
                    "Give each invoked service of a state its own id.",
                )
            seen_ids.add(item.id)
            if item.on_done is not None and item.on_done not in events:
                report.error(
                    "PS222",
                    (*where, "on_done"),
                    f"on_done event {item.on_done!r} is the trigger of no transition.",
                    report.did_you_mean(item.on_done, events, "events")
                    or "Add a transition with this trigger, or correct the name.",
                )
        if state.timeout is not None and state.timeout.destination not in known:
            unknown_state(
                report,
                ("states", index, "timeout", "destination"),
                state.timeout.destination,
                known,
                "timeout destination",
            )
    policy = config.error_policy
    fallback = policy.default_fallback if policy is not None else None
    if fallback is not None and fallback not in known:
        unknown_state(
            report, ("error_policy", "default_fallback"), fallback, known, "fallback state"
        )
