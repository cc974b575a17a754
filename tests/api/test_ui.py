"""The web UI in headless Chromium, on a machine whose network is closed: editing, saving,
entities and events; the token field of an API that needs one; diagrams drawn by Mermaid
(children inside parents, regions as lanes, an arrowhead on every transition, no
overlapping labels, current states marked, the editor kept wide); and nothing fetched from
anywhere but the server. A screenshot per example is kept under test-artifacts/."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.api.browser import VIEWPORT, Tab, api, chromium, serving
from tests.api.support import ORDER_YAML, ROOT

ARTIFACTS = ROOT / "test-artifacts"
HIGHLIGHT_FILL = "rgb(255, 224, 138)"  # #ffe08a, from visualization.CURRENT_STYLE
CURRENT = re.compile(r"\bcurrent\b")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as launched:
        yield launched


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One server for the module's drawings."""
    with serving(tmp_path_factory.mktemp("ui")) as url:
        yield url


def state_node(mermaid_id: str) -> str:
    """The drawn leaf state whose Mermaid id is `mermaid_id` (Mermaid names its group
    `<diagram>-state-<id>-<n>`; ids are word characters, so the dashes delimit it)."""
    return f'#diagram svg g.node[id*="-state-{mermaid_id}-"]'


# -- editing and running a machine ----------------------------------------------------------


def test_machine_diagram_event_state_and_history_in_a_real_browser(
    browser: Any, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    with serving(tmp_path) as server:
        tab = Tab(browser, server)
        page = tab.page
        page.goto(server + "/")

        page.fill("#yaml", ORDER_YAML.replace("dest: OPEN", "dest: OPNE", 1))
        expect(page.locator("#diagnostics li.error").first).to_contain_text("PS204")
        page.fill("#yaml", ORDER_YAML)
        expect(page.locator("#diagnostics li.ok")).to_have_text("valid")
        page.click("#save")
        expect(page.locator("#save-status")).to_contain_text("saved order_management version 1")
        expect(page.locator("#machine-list li")).to_have_text(["order_management (v1)"])
        expect(page.locator(state_node("PENDING_NEW"))).to_be_visible()

        page.fill("#entity-id", "ORD-1")
        page.click("#create-entity")
        expect(page.locator("#state")).to_have_text("PENDING_NEW")
        page.select_option("#trigger", "exchange_ack")
        page.click("#send")
        expect(page.locator("#event-status")).to_contain_text("PENDING_NEW → OPEN")
        expect(page.locator("#state")).to_have_text("OPEN")
        rows = page.locator("#history tbody tr")
        expect(rows).to_have_count(2)
        expect(rows.nth(1)).to_contain_text("exchange_ack")
        expect(page.locator(state_node("OPEN"))).to_have_class(CURRENT)
        expect(page.locator(state_node("PENDING_NEW"))).not_to_have_class(CURRENT)

        ARTIFACTS.mkdir(exist_ok=True)
        shot = ARTIFACTS / "ui-main-page.png"
        page.screenshot(path=str(shot), full_page=True)
        page.close()
        assert shot.stat().st_size > 10_000
        assert tab.off_server() == []


def test_the_ui_asks_for_a_token_and_lists_the_machines_once_given_one(
    browser: Any, tmp_path: Path
) -> None:
    import jwt
    from playwright.sync_api import expect

    secret = "a-test-secret-that-is-long-enough-for-hs256"
    token = jwt.encode({"sub": "ui"}, secret, algorithm="HS256")
    with serving(tmp_path, auth_secret=secret) as server:
        api(server, "POST", "/machines", {"yaml": ORDER_YAML}, token=token)
        tab = Tab(browser, server)
        page = tab.page
        page.goto(server + "/")
        expect(page.locator("#save-status")).to_contain_text("a bearer token is required")
        page.fill("#token", token)
        page.dispatch_event("#token", "change")
        expect(page.locator("#machine-list li")).to_have_text(["order_management (v1)"])
        expect(page.locator("#save-status")).to_have_text("")
        page.close()
        assert tab.off_server() == []


# -- diagrams of the examples -----------------------------------------------------------------


@dataclass(frozen=True)
class Example:
    file: Path
    machine: str
    events: tuple[str, ...]  # sent to the entity before the diagram is drawn
    current: frozenset[str]  # the Mermaid ids of the leaf states the entity is then in


EXAMPLES = {
    "flat": Example(
        ROOT / "examples" / "order_fsm.yaml",
        "order_management",
        ("exchange_ack",),
        frozenset({"OPEN"}),
    ),
    "nested": Example(
        ROOT / "examples" / "trading_fsm.yaml",
        "trading_session",
        ("start", "signal_detected", "signal_confirmed"),
        frozenset({"active_trading_placing"}),
    ),
    "history": Example(
        ROOT / "tests" / "fixtures" / "player_history.yaml",
        "player",
        ("power", "media"),
        frozenset({"on_media_cd"}),
    ),
    "parallel": Example(
        ROOT / "examples" / "day_trading_fsm.yaml",
        "day_trading",
        ("market_open", "feed_up"),
        frozenset({"scanning", "normal", "connected"}),
    ),
    "awkward": Example(
        ROOT / "tests" / "fixtures" / "awkward_labels.yaml",
        "awkward_labels",
        (),
        frozenset({"note_"}),
    ),
}


@dataclass(frozen=True)
class Box:
    left: float
    top: float
    right: float
    bottom: float

    def contains(self, other: Box) -> bool:
        return (
            self.left <= other.left + 0.5
            and self.top <= other.top + 0.5
            and other.right <= self.right + 0.5
            and other.bottom <= self.bottom + 0.5
        )

    def overlaps(self, other: Box) -> bool:
        # Touching edges and sub-pixel rounding are not an overlap.
        return (
            min(self.right, other.right) - max(self.left, other.left) > 0.5
            and min(self.bottom, other.bottom) - max(self.top, other.top) > 0.5
        )

    def union(self, other: Box) -> Box:
        return Box(
            min(self.left, other.left),
            min(self.top, other.top),
            max(self.right, other.right),
            max(self.bottom, other.bottom),
        )


@dataclass(frozen=True)
class Structure:
    """What the Mermaid text says: each state's enclosing state and, inside a parallel
    state, which of its regions a state belongs to."""

    parent: dict[str, str]
    region: dict[str, tuple[str, int]]


def structure(mermaid: str) -> Structure:
    parent: dict[str, str] = {}
    region: dict[str, tuple[str, int]] = {}
    open_states: list[list[Any]] = []  # [state id, region index] of each open `{`
    for line in mermaid.splitlines():
        found = re.fullmatch(r'\s*state "[^"]*" as (\w+)( \{)?', line)
        if found:
            if open_states:
                owner, index = open_states[-1]
                parent[found[1]] = owner
                region[found[1]] = (owner, index)
            if found[2]:
                open_states.append([found[1], 0])
        elif line.strip() == "--":
            open_states[-1][1] += 1
        elif line.strip() == "}":
            open_states.pop()
    parallel = {owner for owner, index in region.values() if index > 0}
    return Structure(parent, {k: v for k, v in region.items() if v[0] in parallel})


@dataclass(frozen=True)
class Drawing:
    """One example as the UI drew it at 1280 px."""

    structure: Structure
    states: dict[str, Box]  # Mermaid id -> box of its node or cluster
    labels: list[tuple[str, Box]]
    current: frozenset[str]  # ids of the nodes drawn with the class `current`
    fills: dict[str, str]  # id -> computed fill of its shape
    edge_texts: list[str]
    foreign_elements: int  # images or typeset formulas inside the diagram
    arrowheads: list[bool]  # per drawn transition: it ends in an existing marker
    transitions: int  # `-->` lines of the Mermaid text
    editor_width: float
    page_width: float
    off_server: list[str]
    screenshot: Path


MEASURE = """() => {
  const box = (element) => {
    const r = element.getBoundingClientRect();
    return [r.left, r.top, r.right, r.bottom];
  };
  const states = {}, fills = {}, current = [], labels = [];
  for (const node of document.querySelectorAll("#diagram svg g.node")) {
    const found = /-state-(\\w+)-\\d+$/.exec(node.id);
    if (!found || /_(start|end)(-\\d+)?$/.test(found[1])) continue;
    states[found[1]] = box(node);
    const shape = node.querySelector("rect, path");
    fills[found[1]] = shape ? getComputedStyle(shape).fill : "";
    if (node.classList.contains("current")) current.push(found[1]);
    const label = node.querySelector(".label");
    if (label) labels.push(["state " + found[1], box(label)]);
  }
  for (const cluster of document.querySelectorAll("#diagram svg g.statediagram-cluster")) {
    states[cluster.dataset.id] = box(cluster);
    const label = cluster.querySelector(".cluster-label");
    if (label && label.textContent.trim()) {
      labels.push(["cluster " + cluster.dataset.id, box(label)]);
    }
  }
  for (const label of document.querySelectorAll("#diagram svg g.edgeLabel")) {
    const r = label.getBoundingClientRect();
    if (label.textContent.trim() && r.width > 0) {
      labels.push(["edge " + label.textContent.trim(), box(label)]);
    }
  }
  const edges = [...document.querySelectorAll("#diagram svg g.edgeLabel")]
    .map((label) => label.textContent.trim()).filter((text) => text);
  const foreign = document.querySelectorAll("#diagram svg img, #diagram svg .katex").length;
  // Each drawn transition, and whether its arrowhead marker exists in the drawing.
  const arrows = [...document.querySelectorAll("#diagram svg path.transition")].map((path) => {
    const found = /^url\\(#(.+)\\)$/.exec(path.getAttribute("marker-end") || "");
    return Boolean(found && document.getElementById(found[1]));
  });
  return { states, fills, current, labels, edges, foreign, arrows,
           editor: document.getElementById("yaml").getBoundingClientRect().width,
           page: document.documentElement.scrollWidth };
}"""


def draw(browser: Any, server: str, name: str) -> Drawing:
    from playwright.sync_api import expect

    example = EXAMPLES[name]
    api(server, "POST", "/machines", {"yaml": example.file.read_text(encoding="utf-8")})
    entity = f"{name}-1"
    api(server, "POST", "/entities", {"machine_id": example.machine, "entity_id": entity})
    for event in example.events:
        result = api(server, "POST", f"/entities/{entity}/events", {"trigger": event})
        assert result["success"], result
    mermaid = api(server, "GET", f"/machines/{example.machine}/diagram")

    tab = Tab(browser, server)
    page = tab.page
    page.goto(server + "/")
    page.locator("#machine-list li", has_text=example.machine).click()
    expect(page.locator("#diagram svg g.node").first).to_be_visible()
    page.fill("#entity-id", entity)
    page.click("#load-entity")
    expect(page.locator("#diagram svg g.node.current")).to_have_count(len(example.current))
    measured = page.evaluate(MEASURE)
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / f"diagram-{name}.png"
    page.screenshot(path=str(shot), full_page=True)
    page.close()
    return Drawing(
        structure=structure(mermaid),
        states={key: Box(*value) for key, value in measured["states"].items()},
        labels=[(key, Box(*value)) for key, value in measured["labels"]],
        current=frozenset(measured["current"]),
        fills=measured["fills"],
        edge_texts=measured["edges"],
        foreign_elements=measured["foreign"],
        arrowheads=measured["arrows"],
        transitions=mermaid.count(" --> "),
        editor_width=measured["editor"],
        page_width=measured["page"],
        off_server=tab.off_server(),
        screenshot=shot,
    )


@pytest.fixture(scope="module")
def drawing(browser: Any, server: str) -> Callable[[str], Drawing]:
    """Each example drawn once per module, on first use."""
    drawn: dict[str, Drawing | Exception] = {}

    def get(name: str) -> Drawing:
        if name not in drawn:
            try:
                drawn[name] = draw(browser, server, name)
            except Exception as exc:  # every test of the example reports it, not a 409
                drawn[name] = exc
        found = drawn[name]
        if isinstance(found, Exception):
            raise found
        return found

    return get


@pytest.mark.parametrize("name", ["nested", "history", "parallel"])
def test_each_child_state_is_drawn_inside_its_parent(
    drawing: Callable[[str], Drawing], name: str
) -> None:
    drawn = drawing(name)
    assert drawn.structure.parent, "the example has compound states"
    for child, parent in drawn.structure.parent.items():
        assert drawn.states[parent].contains(drawn.states[child]), (child, parent)


def test_regions_of_a_parallel_state_are_separate_lanes_inside_it(
    drawing: Callable[[str], Drawing],
) -> None:
    drawn = drawing("parallel")
    lanes: dict[tuple[str, int], Box] = {}
    for state, key in drawn.structure.region.items():
        box = drawn.states[state]
        lanes[key] = lanes[key].union(box) if key in lanes else box
    assert len(lanes) == 3
    for (owner, index), lane in lanes.items():
        assert drawn.states[owner].contains(lane)
        for (_, other_index), other in lanes.items():
            assert index == other_index or not lane.overlaps(other), (index, other_index)


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_every_transition_is_drawn_with_an_arrowhead(
    drawing: Callable[[str], Drawing], name: str
) -> None:
    drawn = drawing(name)
    assert len(drawn.arrowheads) == drawn.transitions
    assert all(drawn.arrowheads)


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_no_two_labels_overlap(drawing: Callable[[str], Drawing], name: str) -> None:
    drawn = drawing(name)
    kinds = {label.split(" ", 1)[0] for label, _ in drawn.labels}
    assert {"state", "edge"} <= kinds
    for position, (first, box) in enumerate(drawn.labels):
        for second, other in drawn.labels[position + 1 :]:
            assert not box.overlaps(other), (first, second)


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_the_entity_s_current_states_are_highlighted(
    drawing: Callable[[str], Drawing], name: str
) -> None:
    drawn = drawing(name)
    assert drawn.current == EXAMPLES[name].current
    for state, fill in drawn.fills.items():
        assert (fill == HIGHLIGHT_FILL) == (state in drawn.current), (state, fill)


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_the_editor_keeps_400px_beside_the_diagram(
    drawing: Callable[[str], Drawing], name: str
) -> None:
    drawn = drawing(name)
    assert drawn.editor_width >= 400
    assert drawn.page_width <= VIEWPORT["width"]
    assert drawn.screenshot.stat().st_size > 10_000


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_drawing_fetches_nothing_from_other_hosts(
    drawing: Callable[[str], Drawing], name: str
) -> None:
    assert drawing(name).off_server == []


def test_label_text_is_shown_as_written_not_read_as_markup(
    drawing: Callable[[str], Drawing],
) -> None:
    drawn = drawing("awkward")
    assert "go [expr: tag == '$$E=mc^2$$' or tag == '<img src=x onerror=alert(1)>']" in (
        drawn.edge_texts
    )
    assert "more [expr: note == '%%{init: {}}%% ; } --> [*] : #quot;']" in drawn.edge_texts
    assert drawn.foreign_elements == 0


def wide_machine(regions: int) -> str:
    """A parallel state of `regions` regions, each a chain of three states: very wide."""
    lanes = "\n".join(
        f"      - name: lane{r}\n        initial: s{r}_0\n        states: [s{r}_0, s{r}_1, s{r}_2]"
        for r in range(regions)
    )
    steps = "\n".join(
        f"  - trigger: step{r}_{i}\n    source: s{r}_{i}\n    dest: s{r}_{i + 1}\n"
        f"    region: lane{r}"
        for r in range(regions)
        for i in range(2)
    )
    return (
        "meta:\n  machine_name: wide\nstates:\n  - name: idle\n    type: initial\n"
        f"  - name: busy\n    type: parallel\n    regions:\n{lanes}\n"
        f"transitions:\n  - trigger: start\n    source: idle\n    dest: busy\n{steps}\n"
    )


def test_a_very_wide_diagram_scrolls_in_its_pane_and_leaves_the_editor_400px(
    browser: Any, server: str
) -> None:
    from playwright.sync_api import expect

    api(server, "POST", "/machines", {"yaml": wide_machine(12)})
    tab = Tab(browser, server)
    page = tab.page
    page.goto(server + "/")
    page.locator("#machine-list li", has_text="wide").click()
    expect(page.locator(state_node("s11_2"))).to_have_count(1)
    natural = page.evaluate("document.querySelector('#diagram svg').viewBox.baseVal.width")
    assert natural > 2 * VIEWPORT["width"]
    while int(page.inner_text("#zoom-level").rstrip("%")) < 100:
        page.click("#zoom-in")
    pane = page.evaluate(
        "(() => { const d = document.getElementById('diagram');"
        " return [d.scrollWidth, d.clientWidth]; })()"
    )
    assert pane[0] > pane[1]
    assert page.locator("#yaml").bounding_box()["width"] >= 400
    assert page.evaluate("document.documentElement.scrollWidth") <= VIEWPORT["width"]
    page.close()
    assert tab.off_server() == []
