"""Check transitions: sources and destinations, history, triggers, delays, auto and
internal transitions, region transitions, and each transition's guards."""

from __future__ import annotations

from pystator.generator import names
from pystator.generator.check_guards import check_guard
from pystator.generator.checking import Reporter, declared_types, region_of, unknown_state
from pystator.generator.load import Path
from pystator.generator.schema import MachineConfig, TransitionDef
from pystator.runtime.durations import parse_duration_ms
from pystator.runtime.history import parse_history


def check_transitions(config: MachineConfig, report: Reporter, known: dict[str, int]) -> None:
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
                unknown_state(report, path, source, known, "source state")
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
                unknown_state(report, dest_path, parent, known, "history state")
            elif parent not in compound:
                report.error(
                    "PS220",
                    dest_path,
                    f"{transition.dest!r} remembers the children of {parent!r}, which has none.",
                    "Use history only on compound states, or target the state directly.",
                )
        elif transition.dest not in known:
            unknown_state(report, dest_path, transition.dest, known, "destination")
        if transition.auto and transition.trigger:
            report.error(
                "PS102",
                (*base, "auto"),
                "an `auto` transition fires on entering its source; it takes no trigger.",
                "Remove `trigger:`, or remove `auto: true`.",
            )
        elif transition.auto and transition.after is not None:
            # A delayed transition without a trigger is already eventless: it fires when
            # its delay has passed in the source state, so `auto` adds nothing.
            report.warning(
                "PS309",
                (*base, "auto"),
                "`auto: true` is redundant beside `after:`; the transition fires once its "
                "delay has passed in its source state.",
                "Remove `auto: true`.",
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
            check_guard(report, (*base, "guards", guard_index), guard, declared)


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
