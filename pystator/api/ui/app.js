// The pystator web UI: plain JavaScript over the REST API, no build step.
"use strict";

const $ = (id) => document.getElementById(id);
let current = null; // id of the machine being edited, or null for a new one
let timer = null;

function headers(json) {
  const result = json ? { "Content-Type": "application/json" } : {};
  const token = $("token").value.trim();
  if (token) result.Authorization = "Bearer " + token;
  return result;
}

async function call(method, path, body) {
  const response = await fetch("/api/v1" + path, {
    method,
    headers: headers(body !== undefined),
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const type = response.headers.get("content-type") || "";
  const data = type.includes("json") ? await response.json() : await response.text();
  if (!response.ok) {
    const error = new Error((data && data.detail) || response.statusText);
    error.data = data;
    throw error;
  }
  return data;
}

function showDiagnostics(list, ok) {
  const target = $("diagnostics");
  target.replaceChildren();
  for (const d of list) {
    const item = document.createElement("li");
    item.className = d.severity;
    item.textContent = `${d.line}:${d.col} ${d.severity}[${d.code}] ${d.message} ${d.hint}`;
    target.append(item);
  }
  if (ok && list.length === 0) {
    const item = document.createElement("li");
    item.className = "ok";
    item.textContent = "valid";
    target.append(item);
  }
}

async function validate() {
  try {
    const result = await call("POST", "/validate", { yaml: $("yaml").value });
    showDiagnostics(result.diagnostics, result.valid);
  } catch (error) {
    showDiagnostics([{ severity: "error", code: "HTTP", message: error.message, hint: "",
                       line: 0, col: 0 }], false);
  }
}

async function loadMachines() {
  const list = $("machine-list");
  list.replaceChildren();
  for (const machine of await call("GET", "/machines")) {
    const item = document.createElement("li");
    item.textContent = `${machine.id} (v${machine.version})`;
    item.dataset.id = machine.id;
    if (machine.id === current) item.className = "selected";
    item.addEventListener("click", () => openMachine(machine.id));
    list.append(item);
  }
}

async function openMachine(id) {
  const machine = await call("GET", "/machines/" + encodeURIComponent(id));
  current = id;
  $("machine-title").textContent = `${machine.id} — version ${machine.version}`;
  $("yaml").value = machine.yaml;
  await loadMachines();
  await validate();
  await drawDiagram();
}

// The server sends Mermaid text (the entity's states marked with the class `current`);
// Mermaid lays it out: compound states drawn around their children, regions as lanes.
const diagrams = window.mermaid; // without it the rest of the UI still works
diagrams?.initialize({
  startOnLoad: false,
  securityLevel: "strict",
  suppressErrorRendering: true,
  // dagre keeps the regions of a parallel state in their YAML order (ELK may not).
  layout: "dagre",
});
let drawn = 0; // number of the latest drawing, so an older one finishing late is dropped
let zoom = null; // scale of the diagram; null fits it to the pane's width

async function drawDiagram() {
  const number = ++drawn;
  const target = $("diagram");
  if (!current) { target.replaceChildren(); showZoom(); return; }
  const entity = $("entity-id").value.trim();
  const query = entity ? "?entity_id=" + encodeURIComponent(entity) : "";
  try {
    if (!diagrams) throw new Error("the Mermaid library did not load");
    const text = await call("GET", `/machines/${encodeURIComponent(current)}/diagram${query}`);
    const { svg } = await diagrams.render(`diagram-svg-${number}`, text);
    if (number !== drawn) return;
    target.innerHTML = svg;
  } catch (error) {
    if (number !== drawn) return;
    const message = document.createElement("p");
    message.className = "diagram-error";
    message.textContent = "cannot draw the diagram: " + error.message;
    target.replaceChildren(message);
  }
  showZoom();
}

// The SVG at `zoom` times its natural size; the pane scrolls when that is larger.
function showZoom() {
  const svg = $("diagram").querySelector("svg");
  if (!svg || !svg.viewBox.baseVal) { $("zoom-level").textContent = ""; return; }
  const { width, height } = svg.viewBox.baseVal;
  const fit = Math.min(1, ($("diagram").clientWidth - 2) / width);
  const scale = zoom === null ? fit : zoom;
  svg.removeAttribute("style"); // Mermaid's max-width would cap zooming in
  svg.setAttribute("width", String(Math.round(width * scale)));
  svg.setAttribute("height", String(Math.round(height * scale)));
  $("zoom-level").textContent = `${Math.round(scale * 100)}%`;
}

function setZoom(factor) {
  const svg = $("diagram").querySelector("svg");
  if (!svg) return;
  const now = svg.width.baseVal.value / svg.viewBox.baseVal.width;
  zoom = factor === null ? null : Math.min(4, Math.max(0.1, now * factor));
  showZoom();
}

async function save() {
  const yaml = $("yaml").value;
  try {
    const machine = current
      ? await call("PUT", "/machines/" + encodeURIComponent(current), { yaml })
      : await call("POST", "/machines", { yaml });
    $("save-status").textContent = `saved ${machine.id} version ${machine.version}`;
    await openMachine(machine.id);
  } catch (error) {
    $("save-status").textContent = "not saved: " + error.message;
    if (error.data && error.data.diagnostics) showDiagnostics(error.data.diagnostics, false);
  }
}

// An entity is a machine and an id: every entity route names the machine being edited.
function entityPath(id, rest = "") {
  return `/entities/${encodeURIComponent(id)}${rest}`;
}

function ofMachine(path) {
  return current ? `${path}?machine_id=${encodeURIComponent(current)}` : path;
}

async function showEntity(entity) {
  $("state").textContent = entity.state;
  const select = $("trigger");
  select.replaceChildren();
  for (const trigger of entity.allowed_triggers) {
    const option = document.createElement("option");
    option.value = option.textContent = trigger;
    select.append(option);
  }
  const rows = await call("GET", ofMachine(entityPath(entity.entity_id, "/history")));
  const body = $("history").querySelector("tbody");
  body.replaceChildren();
  for (const row of rows) {
    const tr = document.createElement("tr");
    for (const value of [row.source_state || "(new)", row.trigger, row.target_state,
                         row.success ? "yes" : "no", row.timestamp.slice(11, 19)]) {
      const td = document.createElement("td");
      td.textContent = value;
      tr.append(td);
    }
    body.append(tr);
  }
  await drawDiagram();
}

async function createEntity() {
  const id = $("entity-id").value.trim();
  if (!current || !id) { $("event-status").textContent = "choose a machine and an entity id"; return; }
  try {
    await showEntity(await call("POST", "/entities", { machine_id: current, entity_id: id }));
    $("event-status").textContent = `created ${id}`;
  } catch (error) {
    $("event-status").textContent = error.message;
  }
}

async function loadEntity() {
  const id = $("entity-id").value.trim();
  try {
    await showEntity(await call("GET", ofMachine(entityPath(id))));
  } catch (error) {
    $("event-status").textContent = error.message;
  }
}

async function sendEvent() {
  const id = $("entity-id").value.trim();
  let context;
  try {
    context = JSON.parse($("event-context").value || "{}");
  } catch (error) {
    $("event-status").textContent = "the event context is not JSON: " + error.message;
    return;
  }
  try {
    const result = await call("POST", entityPath(id, "/events"),
                              { trigger: $("trigger").value, machine_id: current, context });
    $("event-status").textContent = result.success
      ? `${result.trigger}: ${result.source_state} → ${result.target_state}`
      : `${result.trigger} refused: ${result.error}`;
    await showEntity(await call("GET", ofMachine(entityPath(id))));
  } catch (error) {
    $("event-status").textContent = error.message;
  }
}

$("yaml").addEventListener("input", () => {
  clearTimeout(timer);
  timer = setTimeout(validate, 300);
});
$("save").addEventListener("click", save);
$("new-machine").addEventListener("click", () => {
  current = null;
  $("machine-title").textContent = "New machine";
  $("yaml").value = "";
  drawDiagram();
  loadMachines();
});
$("zoom-in").addEventListener("click", () => setZoom(1.25));
$("zoom-out").addEventListener("click", () => setZoom(0.8));
$("zoom-fit").addEventListener("click", () => setZoom(null));
window.addEventListener("resize", () => { if (zoom === null) showZoom(); });
$("create-entity").addEventListener("click", createEntity);
$("load-entity").addEventListener("click", loadEntity);
$("send").addEventListener("click", sendEvent);
$("token").value = localStorage.getItem("pystator-token") || "";
function listMachines() {
  $("save-status").textContent = "";
  loadMachines().catch((error) => { $("save-status").textContent = error.message; });
}
// The API needs a token unless it runs with --no-auth: a new token lists the machines again.
$("token").addEventListener("change", () => {
  localStorage.setItem("pystator-token", $("token").value);
  listMachines();
});
listMachines();
