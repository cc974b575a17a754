"""Check: every semantic rule of a machine file, each with a stable diagnostic code.

Runs on the validated `MachineConfig` and reports all findings at once, positioned at the
YAML node they concern; lowering only starts when no error was found.
"""

from __future__ import annotations

import ast
import itertools
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path as FilePath

from pystator.generator import names, typemap
from pystator.generator.diagnostics import Diagnostic, Severity
from pystator.generator.hierarchy import build_tree, depths, find_cycle
from pystator.generator.load import Document, Limits, Path, default_limits
from pystator.generator.schema import (
    CheckGuardDef,
    ExprGuardDef,
    MachineConfig,
    NamedActionDef,
    NamedGuardDef,
    StateDef,
    TransitionDef,
    VariableDef,
)
from pystator.generator.suggest import Budget, Suggester
from pystator.runtime import expr
from pystator.runtime.durations import parse_duration_ms
from pystator.runtime.history import parse_history
from pystator.runtime.spec import event_normalizer


@dataclass
class Reporter:
    """Collects diagnostics for one document."""

    document: Document
    found: list[Diagnostic] = field(default_factory=list)
    # One budget for every did-you-mean of the run, and one index per set of names asked
    # about again and again, so that many misspelt names cost linear time.
    budget: Budget = field(default_factory=Budget)
    _suggesters: dict[str, Suggester] = field(default_factory=dict, init=False, repr=False)
    _lines: list[str] | None = field(default=None, init=False, repr=False)

    def did_you_mean(self, name: str, candidates: Iterable[str], kind: str = "") -> str:
        """'Did you mean ...?' among `candidates`, or ''. A `kind` names a set the run asks
        about many times (every state, every event): its index is built on first use."""
        if not kind:
            return Suggester(candidates, self.budget).hint(name)
        suggester = self._suggesters.get(kind)
        if suggester is None:
            suggester = self._suggesters[kind] = Suggester(candidates, self.budget)
        return suggester.hint(name)

    def source_line(self, line: int) -> str:
        """Line `line` (1-based) of the document's file as text, or '' if unreadable."""
        if self._lines is None:
            try:
                text = FilePath(self.document.file).read_text(encoding="utf-8")
                self._lines = text.splitlines()
            except (OSError, UnicodeDecodeError, ValueError):
                self._lines = []
        return self._lines[line - 1] if 0 < line <= len(self._lines) else ""

    def error(
        self, code: str, path: Path, message: str, hint: str = "", *, key: bool = False
    ) -> None:
        self._add(code, path, message, hint, Severity.ERROR, key)

    def warning(
        self, code: str, path: Path, message: str, hint: str = "", *, key: bool = False
    ) -> None:
        self._add(code, path, message, hint, Severity.WARNING, key)

    def error_at(self, code: str, line: int, col: int, message: str, hint: str = "") -> None:
        self.found.append(Diagnostic(code, message, self.document.file, line, col, hint=hint))

    def _add(
        self, code: str, path: Path, message: str, hint: str, severity: Severity, key: bool
    ) -> None:
        position = self.document.key_position(path) if key else self.document.position(path)
        self.found.append(
            Diagnostic(
                code, message, self.document.file, position.line, position.col, severity, hint
            )
        )


def machine_name(config: MachineConfig, document: Document) -> str:
    """`meta.machine_name`, else the file's stem, else 'machine'."""
    if config.meta.machine_name:
        return config.meta.machine_name
    stem = FilePath(document.file).stem if not document.file.startswith("<") else ""
    return stem or "machine"


def variables(config: MachineConfig) -> list[tuple[Path, VariableDef]]:
    """State variables from the top level and from `meta`, with their paths."""
    found: list[tuple[Path, VariableDef]] = []
    for base, items in (
        (("meta", "state_variables"), config.meta.state_variables),
        (("state_variables",), config.state_variables),
    ):
        for index, item in enumerate(items or ()):
            definition = VariableDef(key=item) if isinstance(item, str) else item
            found.append(((*base, index), definition))
    return found


def check(
    config: MachineConfig, document: Document, limits: Limits | None = None
) -> list[Diagnostic]:
    """All semantic findings for a machine, errors and warnings."""
    report = Reporter(document)
    state_names = _check_states(config, report)
    chosen = limits if limits is not None else default_limits()
    _check_hierarchy(config, report, state_names, chosen.max_state_depth)
    _check_transitions(config, report, state_names)
    _check_python_names(config, report, document)
    _check_declarations(config, report)
    return report.found


# -- states -------------------------------------------------------------------------


def _check_states(config: MachineConfig, report: Reporter) -> dict[str, int]:
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


def region_of(config: MachineConfig) -> dict[str, tuple[str, str]]:
    """For every state listed in a parallel state's regions: (parallel state, region)."""
    found: dict[str, tuple[str, str]] = {}
    for state in config.states:
        if state.type == "parallel":
            for region in state.regions:
                for name in region.states:
                    found.setdefault(name, (state.name, region.name))
    return found


def expand_regions(config: MachineConfig) -> MachineConfig:
    """Region states listed under `regions:` need no entry of their own; add one for each
    (a child of its parallel state) so that every later stage sees ordinary states."""
    declared = {state.name for state in config.states}
    regions = region_of(config)
    added = [
        StateDef(name=name, parent=parallel)
        for name, (parallel, _) in regions.items()
        if name not in declared
    ]
    states = [
        state.model_copy(update={"parent": regions[state.name][0]})
        if state.name in regions and state.parent is None
        else state
        for state in config.states
    ]
    if not added and states == list(config.states):
        return config
    return config.model_copy(update={"states": [*states, *added]})


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


def _unknown_state(
    report: Reporter, path: Path, name: str, known: Iterable[str], what: str
) -> None:
    report.error(
        "PS204",
        path,
        f"{what} {name!r} is not a state of this machine.",
        report.did_you_mean(name, known, "states") or "Define the state or correct the name.",
    )


def _check_hierarchy(
    config: MachineConfig, report: Reporter, known: dict[str, int], max_depth: int
) -> None:
    parents: dict[str, str | None] = {}
    for index, state in enumerate(config.states):
        if state.parent is not None:
            if state.parent not in known:
                _unknown_state(report, ("states", index, "parent"), state.parent, known, "parent")
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
                _unknown_state(
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


# -- transitions ----------------------------------------------------------------------


def declared_types(config: MachineConfig) -> dict[str, str]:
    """Context names the machine declares (state variables, event payloads) and their types."""
    types: dict[str, str] = {}
    for event in config.events or ():
        for field_name, hint in event.payload.items():
            types[field_name] = hint if isinstance(hint, str) else hint.type
    for _, variable in variables(config):
        types[variable.key] = variable.type or "any"
    return types


def _check_transitions(config: MachineConfig, report: Reporter, known: dict[str, int]) -> None:
    terminal = {s.name for s in config.states if s.type == "terminal"}
    declared = declared_types(config)
    regions = region_of(config)
    region_names = {region for _, region in regions.values()}
    compound = {s.parent for s in config.states if s.parent is not None}
    for index, transition in enumerate(config.transitions):
        base: Path = ("transitions", index)
        sources = [transition.source] if isinstance(transition.source, str) else transition.source
        if not sources:
            report.error(
                "PS102",
                (*base, "source"),
                "the transition has an empty source list.",
                "List at least one state.",
            )
        for position, source in enumerate(sources):
            path = (
                (*base, "source")
                if isinstance(transition.source, str)
                else (*base, "source", position)
            )
            if source not in known:
                _unknown_state(report, path, source, known, "source state")
            elif source in terminal:
                report.error(
                    "PS205",
                    path,
                    f"transition {transition.trigger or '(delayed)'!r} leaves terminal state "
                    f"{source!r}.",
                    "Terminal states accept no events: change the state's type or remove "
                    "the transition.",
                )
        dest_path = (*base, "dest")
        history = parse_history(transition.dest)
        if history:
            parent = history.parent
            if parent not in known:
                _unknown_state(report, dest_path, parent, known, "history state")
            elif parent not in compound:
                report.error(
                    "PS220",
                    dest_path,
                    f"{transition.dest!r} remembers the children of {parent!r}, which has none.",
                    "Use history only on compound states, or target the state directly.",
                )
        elif transition.dest not in known:
            _unknown_state(report, dest_path, transition.dest, known, "destination")
        if transition.auto and (transition.trigger or transition.after is not None):
            report.error(
                "PS102",
                (*base, "auto"),
                "an `auto` transition fires on entering its source; it takes no trigger or "
                "`after`.",
                "Remove `trigger:`/`after:`, or remove `auto: true`.",
            )
        _check_region_transition(report, base, transition, sources, regions, region_names)
        if transition.after is not None:
            try:
                parse_duration_ms(transition.after)
            except ValueError as exc:
                report.error(
                    "PS214", (*base, "after"), f"{exc}.", 'Write e.g. 5000, "5s" or "30m".'
                )
        if not transition.trigger and transition.after is None and not transition.auto:
            report.error(
                "PS103",
                base,
                "the transition has no trigger.",
                "Add `trigger: <event name>` (or `after:` for a delayed transition).",
            )
        elif transition.trigger and not names.is_source_name(transition.trigger):
            report.error(
                "PS207",
                (*base, "trigger"),
                f"trigger {transition.trigger!r} cannot become a Python identifier.",
                "Use ASCII letters, digits, '_', '.' or '-', starting with a letter.",
            )
        elif not transition.trigger and transition.after is not None and len(sources) != 1:
            report.error(
                "PS102",
                (*base, "source"),
                "a delayed transition without a trigger must have exactly one source state.",
                "Add a `trigger:` or split it into one transition per source.",
            )
        if transition.internal and transition.dest not in sources:
            report.error(
                "PS102",
                dest_path,
                f"internal transition goes to {transition.dest!r}, outside its source.",
                "An internal transition stays in its state: set `dest` to the source, or "
                "remove `internal: true`.",
            )
        for guard_index, guard in enumerate(transition.guards):
            _check_guard(report, (*base, "guards", guard_index), guard, declared)
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
            _unknown_state(
                report,
                ("states", index, "timeout", "destination"),
                state.timeout.destination,
                known,
                "timeout destination",
            )
    policy = config.error_policy
    fallback = policy.default_fallback if policy is not None else None
    if fallback is not None and fallback not in known:
        _unknown_state(
            report, ("error_policy", "default_fallback"), fallback, known, "fallback state"
        )


def _check_region_transition(
    report: Reporter,
    base: Path,
    transition: TransitionDef,
    sources: list[str],
    regions: dict[str, tuple[str, str]],
    region_names: set[str],
) -> None:
    """Region transitions move one region: sources and destination in that region."""
    in_regions = {regions[s][1] for s in sources if s in regions}
    named = transition.region
    if named is not None and named not in region_names:
        report.error(
            "PS221",
            (*base, "region"),
            f"region {named!r} is not a region of any parallel state.",
            report.did_you_mean(named, region_names, "regions")
            or "Name a region listed under `regions:`.",
        )
        return
    if named is None and not in_regions:
        return
    region = named if named is not None else sorted(in_regions)[0]
    outside = [s for s in sources if regions.get(s, ("", ""))[1] != region]
    if outside or len(in_regions) > 1:
        report.error(
            "PS221",
            (*base, "source"),
            f"a transition in region {region!r} has sources outside it: "
            f"{', '.join(outside or sorted(in_regions))}.",
            "Give each region its own transitions.",
        )
    if regions.get(transition.dest, ("", ""))[1] != region:
        report.error(
            "PS221",
            (*base, "dest"),
            f"a transition in region {region!r} goes to {transition.dest!r}, outside the region.",
            "Leave a parallel state with a transition from the parallel state itself.",
        )


def _check_guard(report: Reporter, path: Path, guard: object, declared: dict[str, str]) -> None:
    if isinstance(guard, ExprGuardDef):
        try:
            parsed = expr.parse_expression(guard.expr)
            if declared:
                _check_expression_names(report, (*path, "expr"), parsed, declared)
        except expr.ExpressionError as exc:
            value_path = (*path, "expr")
            position = report.document.position(value_path)
            offset = _quote_offset(report.source_line(position.line), position.col)
            report.error_at(
                "PS206",
                position.line,
                position.col + offset + exc.col - 1,
                f"guard expression {guard.expr!r} is not allowed: {exc.message}.",
                "Expressions may use context names, literals, comparisons, and/or/not, "
                "+ - * /, in / not in and len/min/max/abs/sum.",
            )
    elif isinstance(guard, CheckGuardDef):
        check = guard.check
        value_path = (*path, "check")
        if declared and check.field not in declared:
            report.warning(
                "PS304",
                (*value_path, "field"),
                f"check field {check.field!r} is not a declared state variable or payload.",
                report.did_you_mean(check.field, declared, "declared")
                or "Declare it under state_variables.",
            )
        declared_type = declared.get(check.field)
        if declared_type is not None and check.op not in ("is_set", "is_null"):
            options = check.values if check.values is not None else check.value
            values = options if isinstance(options, list) else [options]
            wrong = [v for v in values if not typemap.python_type_matches(declared_type, v)]
            if wrong:
                report.error(
                    "PS211",
                    value_path,
                    f"check compares {check.field!r} (declared {declared_type}) with {wrong[0]!r}.",
                    f"Use a {declared_type} value.",
                )
        if check.op in ("in", "not_in"):
            if check.values is None and not isinstance(check.value, list):
                report.error(
                    "PS211",
                    value_path,
                    f"check {check.op!r} on {check.field!r} needs a list of values.",
                    "Give `value: [a, b]` or `values: [a, b]`.",
                )
        elif check.op in ("is_set", "is_null"):
            if check.value is not None or check.values is not None:
                report.error(
                    "PS211",
                    value_path,
                    f"check {check.op!r} takes no value.",
                    "Remove `value:`.",
                )
        elif check.values is not None:
            report.error(
                "PS211",
                value_path,
                f"check {check.op!r} compares with one `value`, not `values`.",
                "Use `value:`.",
            )
        elif check.value is None and check.op in ("lt", "lte", "gt", "gte"):
            report.error(
                "PS211",
                value_path,
                f"check {check.op!r} on {check.field!r} has no value to compare with.",
                "Add `value:`.",
            )
        if check.value is not None and isinstance(check.value, dict):
            report.error(
                "PS211",
                value_path,
                "a check value must be a scalar or a list, not a mapping.",
                "Compare against a string, number, boolean or list.",
            )


_NUMERIC = ("number", "float", "integer", "int")
_TEXT = ("string", "str")


def _check_expression_names(
    report: Reporter, path: Path, parsed: expr.Expression, declared: dict[str, str]
) -> None:
    """Warn about undeclared names and about comparing declared text with numbers."""
    for name in parsed.names:
        if name not in declared:
            report.warning(
                "PS304",
                path,
                f"expression name {name!r} is not a declared state variable or payload.",
                report.did_you_mean(name, declared, "declared")
                or "Declare it under state_variables.",
            )
    for node in ast.walk(parsed.tree):
        if not isinstance(node, ast.Compare):
            continue
        operands = [node.left, *node.comparators]
        for left, right in itertools.pairwise(operands):
            for name_node, other in ((left, right), (right, left)):
                if not isinstance(name_node, ast.Name) or not isinstance(other, ast.Constant):
                    continue
                kind = declared.get(name_node.id, "any").lower()
                value = other.value
                text_vs_number = kind in _TEXT and isinstance(value, int | float)
                number_vs_text = kind in _NUMERIC and isinstance(value, str)
                if (text_vs_number or number_vs_text) and not isinstance(value, bool):
                    report.warning(
                        "PS305",
                        path,
                        f"expression compares {name_node.id!r} (declared {kind}) with "
                        f"{value!r}; the comparison is never true or fails at run time.",
                        f"Compare with a {kind} value.",
                    )


def _quote_offset(text: str, col: int) -> int:
    """1 if the scalar at `col` of the line `text` starts with a quote, so columns land
    inside it."""
    return 1 if text[col - 1 : col] in ("'", '"') else 0


# -- Python names -----------------------------------------------------------------------


def _check_python_names(config: MachineConfig, report: Reporter, document: Document) -> None:
    name = machine_name(config, document)
    if names.class_prefix(name) is None or not names.MACHINE_NAME.fullmatch(name):
        report.error(
            "PS212",
            ("meta", "machine_name") if config.meta.machine_name else (),
            f"machine name {name!r} cannot become a Python class name.",
            "Use letters, digits and '_' starting with a letter, e.g. order_management.",
        )
    members: dict[str, tuple[str, Path]] = {}
    attributes: dict[str, tuple[str, Path]] = {}
    for index, state in enumerate(config.states):
        if not names.is_source_name(state.name):
            continue
        mapped = names.map_state(state.name)
        path: Path = ("states", index, "name")
        _claim(report, members, mapped.member, state.name, path, "state", "enum member")
        _claim(report, attributes, mapped.attribute, state.name, path, "state", "property")
    trigger_members: dict[str, tuple[str, Path]] = {}
    seen_triggers: set[str] = set()
    for index, transition in enumerate(config.transitions):
        trigger = transition.trigger
        if not trigger or not names.is_source_name(trigger):
            continue
        normalize = event_normalizer(config.meta.event_normalizer)
        if normalize is not None:
            trigger = normalize(trigger)
        if trigger in seen_triggers:
            continue
        seen_triggers.add(trigger)
        mapped = names.map_trigger(trigger)
        path = ("transitions", index, "trigger")
        _claim(report, trigger_members, mapped.member, trigger, path, "trigger", "enum member")
        _claim(report, attributes, mapped.attribute, trigger, path, "trigger", "method")
    handlers: dict[str, tuple[str, Path]] = {}
    for path, handler in _named_handlers(config):
        if not names.is_identifier(handler):
            report.error(
                "PS207",
                path,
                f"guard or action name {handler!r} is not a Python identifier.",
                "Name handlers like Python functions: letters, digits and '_'.",
            )
            continue
        previous = handlers.get(handler)
        if previous is None:
            handlers[handler] = (handler, path)


def _claim(
    report: Reporter,
    taken: dict[str, tuple[str, Path]],
    identifier: str,
    source: str,
    path: Path,
    kind: str,
    role: str,
) -> None:
    if identifier in names.SESSION_MEMBERS:
        report.error(
            "PS209",
            path,
            f"{kind} {source!r} would generate the {role} {identifier!r}, which the "
            "session already defines.",
            f"Rename the {kind}.",
        )
        return
    previous = taken.get(identifier)
    if previous is None:
        taken[identifier] = (source, path)
        return
    if previous[0] == source:
        return
    line = report.document.position(previous[1]).line
    report.error(
        "PS208",
        path,
        f"{kind} {source!r} and {previous[0]!r} (line {line}) both map to the {role} "
        f"{identifier!r}.",
        "Rename one of them.",
    )


def _named_handlers(config: MachineConfig) -> list[tuple[Path, str]]:
    found: list[tuple[Path, str]] = []
    for index, state in enumerate(config.states):
        for key in ("on_enter", "on_exit"):
            for position, item in enumerate(getattr(state, key)):
                name = _action_name(item)
                if name is not None:
                    found.append((("states", index, key, position), name))
    for index, transition in enumerate(config.transitions):
        for position, item in enumerate(transition.actions):
            name = _action_name(item)
            if name is not None:
                found.append((("transitions", index, "actions", position), name))
        for position, guard in enumerate(transition.guards):
            if isinstance(guard, str):
                found.append((("transitions", index, "guards", position), guard))
            elif isinstance(guard, NamedGuardDef):
                found.append((("transitions", index, "guards", position, "name"), guard.name))
    return found


def _action_name(item: object) -> str | None:
    if isinstance(item, str):
        return item
    if isinstance(item, NamedActionDef):
        return item.name
    return None


# -- declarations -----------------------------------------------------------------------


def _check_declarations(config: MachineConfig, report: Reporter) -> None:
    seen: dict[str, Path] = {}
    for path, variable in variables(config):
        _unique(report, seen, variable.key, path, "state variable")
        if variable.type is not None:
            _check_type(report, (*path, "type"), variable.type)
            if not typemap.python_type_matches(variable.type, variable.default):
                report.error(
                    "PS102",
                    (*path, "default"),
                    f"default {variable.default!r} of {variable.key!r} is not a {variable.type}.",
                    "Make the default match the declared type.",
                )
    events: dict[str, Path] = {}
    for index, event in enumerate(config.events or ()):
        _unique(report, events, event.name, ("events", index, "name"), "event")
        for field_name, hint in event.payload.items():
            type_name = hint if isinstance(hint, str) else hint.type
            _check_type(report, ("events", index, "payload", field_name), type_name)
            if not names.is_identifier(field_name) or field_name.startswith("_"):
                report.error(
                    "PS207",
                    ("events", index, "payload", field_name),
                    f"payload field {field_name!r} cannot be a Python keyword argument.",
                    "Use a lower-case identifier that does not start with '_'.",
                    key=True,
                )


def _check_type(report: Reporter, path: Path, type_name: str) -> None:
    if typemap.annotation(type_name) is None:
        report.error(
            "PS102",
            path,
            f"{type_name!r} is not a type this format knows.",
            report.did_you_mean(type_name, typemap.ANNOTATIONS, "types")
            or f"Use one of: {', '.join(sorted(typemap.ANNOTATIONS))}.",
        )


def _unique(report: Reporter, seen: dict[str, Path], name: str, path: Path, what: str) -> None:
    if name in seen:
        line = report.document.position(seen[name]).line
        report.error(
            "PS210",
            path,
            f"{what} {name!r} is declared twice (first on line {line}).",
            "Remove one declaration.",
        )
    else:
        seen[name] = path
