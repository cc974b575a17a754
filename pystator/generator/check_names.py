"""Check names: what states, triggers and handlers become in Python (identifiers, no
collisions, nothing the session defines), and the declared variables and events."""

from __future__ import annotations

from pystator.generator import names, typemap
from pystator.generator.checking import Reporter, machine_name, variables
from pystator.generator.load import Document, Path
from pystator.generator.schema import MachineConfig, NamedActionDef, NamedGuardDef
from pystator.runtime.spec import event_normalizer


def check_python_names(config: MachineConfig, report: Reporter, document: Document) -> None:
    name = machine_name(config, document)
    if names.class_prefix(name) is None or not names.MACHINE_NAME.fullmatch(name):
        report.error(
            "PS212",
            ("meta", "machine_name") if config.meta.machine_name else (),
            f"machine name {name!r} cannot become a Python class name.",
            "Use ASCII letters, digits, '_', '-', '.' and spaces, e.g. order_management "
            "or 'Order Flow'.",
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
    normalize = event_normalizer(config.meta.event_normalizer)
    for index, transition in enumerate(config.transitions):
        trigger = transition.trigger
        if not trigger or not names.is_source_name(trigger):
            continue
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


def check_declarations(config: MachineConfig, report: Reporter) -> None:
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
