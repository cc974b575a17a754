"""Diagram: an SVG picture of a machine, laid out on the server so the UI needs no
JavaScript diagram library (states in columns by distance from the initial state)."""

from __future__ import annotations

from html import escape

from pystator.runtime.spec import MachineSpec
from pystator.runtime.visualization import edge_label

BOX_W, BOX_H, GAP_X, GAP_Y, MARGIN = 150, 40, 140, 50, 30
LABEL_CHARS = 22


def to_svg(spec: MachineSpec, active: frozenset[str] = frozenset()) -> str:
    """States as boxes (compound ones dashed, `active` ones filled), transitions as arrows."""
    names = [state.name for state in spec.states]
    edges: dict[str, list[str]] = {name: [] for name in names}
    for transition in spec.transitions:
        dest = transition.dest
        if dest.endswith(")") and "(" in dest:
            dest = dest[dest.index("(") + 1 : -1]
        for source in transition.source:
            if source in edges and dest in edges:
                edges[source].append(dest)
    column: dict[str, int] = {}
    start = next((s.name for s in spec.states if s.type.value == "initial"), names[0])
    frontier = [start]
    column[start] = 0
    while frontier:
        following = []
        for name in frontier:
            for dest in edges[name]:
                if dest not in column:
                    column[dest] = column[name] + 1
                    following.append(dest)
        frontier = following
    last = max(column.values(), default=0)
    for name in names:
        if name not in column:
            last += 1 if name == names[0] else 0
            column[name] = last + 1
    rows: dict[int, int] = {}
    place: dict[str, tuple[int, int]] = {}
    for name in names:
        col = column[name]
        row = rows.get(col, 0)
        rows[col] = row + 1
        place[name] = (MARGIN + col * (BOX_W + GAP_X), MARGIN + row * (BOX_H + GAP_Y))
    width = max(x for x, _ in place.values()) + BOX_W + MARGIN
    height = max(y for _, y in place.values()) + BOX_H + MARGIN + 20
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" '
        'markerHeight="8" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" '
        'fill="#555"/></marker></defs>',
    ]
    for transition in spec.transitions:
        dest = transition.dest
        if dest.endswith(")") and "(" in dest:
            dest = dest[dest.index("(") + 1 : -1]
        for source in transition.source:
            if source not in place or dest not in place:
                continue
            (x1, y1), (x2, y2) = place[source], place[dest]
            full = edge_label(transition)
            short = full if len(full) <= LABEL_CHARS else full[: LABEL_CHARS - 1] + "…"
            label = f"<title>{escape(full)}</title>{escape(short)}"
            if source == dest:
                out.append(
                    f'<path d="M {x1 + BOX_W - 30} {y1} C {x1 + BOX_W - 30} {y1 - 25}, '
                    f'{x1 + BOX_W} {y1 - 25}, {x1 + BOX_W} {y1 + 10}" fill="none" '
                    'stroke="#555" marker-end="url(#arrow)"/>'
                    f'<text x="{x1 + BOX_W - 20}" y="{y1 - 14}" fill="#333">{label}</text>'
                )
                continue
            ax, ay = x1 + BOX_W, y1 + BOX_H / 2
            bx, by = x2, y2 + BOX_H / 2
            if x2 <= x1:
                ax, bx = x1, x2 + BOX_W
            out.append(
                f'<line x1="{ax}" y1="{ay}" x2="{bx}" y2="{by}" stroke="#555" '
                'marker-end="url(#arrow)"/>'
                f'<text x="{ax + (bx - ax) * 0.35}" y="{ay + (by - ay) * 0.35 - 4}" '
                'text-anchor="middle" '
                f'fill="#333">{label}</text>'
            )
    for state in spec.states:
        x, y = place[state.name]
        compound = any(other.parent == state.name for other in spec.states) or state.regions
        fill = "#ffe08a" if state.name in active else "#eef3fb"
        dash = ' stroke-dasharray="4 3"' if compound else ""
        width_px = 3 if state.is_terminal else 1
        out.append(
            f'<g class="state" data-state="{escape(state.name)}"><rect x="{x}" y="{y}" '
            f'width="{BOX_W}" height="{BOX_H}" rx="8" fill="{fill}" stroke="#345"'
            f' stroke-width="{width_px}"{dash}/><text x="{x + BOX_W / 2}" y="{y + 25}" '
            f'text-anchor="middle">{escape(state.name)}</text></g>'
        )
    out.append("</svg>")
    return "\n".join(out)
