// mapper playground: the page's texts go to the server, which runs the real engine (POST /playground/run,
// POST /playground/eval); this script only edits, sends, and shows what comes back.
"use strict";

const EDITORS = ["mapping", "input", "source_schema", "target_schema"];

/** A textarea with a line-number gutter and a layer beneath it that marks problem lines, message beside. */
class Editor {
  constructor(root) {
    this.root = root;
    this.marks = new Map();  // line -> {severity, message}
    this.gutter = element("div", "gutter");
    const area = element("div", "area");
    this.backdrop = element("div", "backdrop");
    this.notes = element("div", "notes");  // the messages, kept at the right edge however far the text scrolls
    this.textarea = element("textarea");
    Object.assign(this.textarea, {spellcheck: false, wrap: "off"});
    this.textarea.setAttribute("aria-label", root.dataset.label);
    area.append(this.backdrop, this.textarea, this.notes);
    root.append(this.gutter, area);
    this.textarea.addEventListener("input", () => this.render());
    this.textarea.addEventListener("scroll", () => this.follow());
    this.textarea.addEventListener("keydown", (event) => {
      if (event.key === "Tab" && !event.ctrlKey && !event.altKey) {  // YAML wants spaces, not a focus change
        event.preventDefault();
        document.execCommand("insertText", false, "  ");
      }
    });
  }

  get value() { return this.textarea.value; }
  set value(text) { this.textarea.value = text; this.marks.clear(); this.render(); this.textarea.scrollTop = 0; }

  /** Mark lines: marks are {line, severity, message}; the worst severity of a line wins. */
  mark(marks) {
    this.marks.clear();
    for (const mark of marks) {
      const known = this.marks.get(mark.line);
      if (!known) this.marks.set(mark.line, {severity: mark.severity, message: mark.message});
      else {
        if (mark.severity === "error") known.severity = "error";
        known.message += "  |  " + mark.message;
      }
    }
    this.render();
  }

  render() {
    const lines = this.textarea.value.split("\n");
    const numbers = document.createDocumentFragment();
    const layer = document.createDocumentFragment();
    const notes = document.createDocumentFragment();
    lines.forEach((text, index) => {
      const mark = this.marks.get(index + 1);
      const number = element("div", mark ? mark.severity : "", String(index + 1));
      const line = element("div", mark ? mark.severity : "", text);
      line.dataset.line = number.dataset.line = String(index + 1);
      if (mark) {
        number.title = mark.message;
        const note = element("div", "note " + mark.severity, firstLine(mark.message));
        note.dataset.line = String(index + 1);
        note.title = mark.message;
        note.style.top = `calc(${index} * var(--line) + 4px)`;
        notes.append(note);
      }
      numbers.append(number);
      layer.append(line);
    });
    this.gutter.replaceChildren(numbers);
    this.backdrop.replaceChildren(layer);
    this.notes.replaceChildren(notes);
    this.follow();
  }

  follow() {
    const {scrollTop, scrollLeft} = this.textarea;
    this.backdrop.style.transform = `translate(${-scrollLeft}px, ${-scrollTop}px)`;
    this.notes.style.transform = `translateY(${-scrollTop}px)`;
    this.gutter.scrollTop = scrollTop;
  }

  /** Show ``line`` (1-based): its tab, the line selected and scrolled into view. */
  reveal(line) {
    showTab(this.root.dataset.page);
    const lines = this.textarea.value.split("\n");
    const start = lines.slice(0, line - 1).reduce((sum, text) => sum + text.length + 1, 0);
    this.textarea.focus();
    this.textarea.setSelectionRange(start, start + (lines[line - 1] || "").length);
    const height = parseFloat(getComputedStyle(this.textarea).lineHeight);
    this.textarea.scrollTop = Math.max(0, (line - 3) * height);
  }
}

function element(tag, className = "", text = "") {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text) node.textContent = text;
  return node;
}

function plural(count, noun) { return `${count} ${noun}${count === 1 ? "" : "s"}`; }

function firstLine(text) { return String(text).split("\n")[0]; }

const editors = Object.fromEntries(EDITORS.map((name) => [name, new Editor(document.getElementById(`editor-${name}`))]));
const state = {name: "playground", answer: null};

// The results: each panel shows one part of /playground/run's answer. A new part of the answer (the trace
// of a record, the lineage of the fields) is one more entry here: a title, a count, and how to draw it.
const PANELS = [
  {id: "output", title: "Output", draw: drawOutput},
  {id: "problems", title: "Problems", count: (answer) => answer.problems, draw: (answer) => problemList(answer.problems)},
  {id: "check", title: "Check", count: (answer) => answer.findings.filter((found) => !found.ignored),
   draw: (answer) => problemList(answer.findings)},
  {id: "lineage", title: "Lineage", draw: drawLineage},
  {id: "explain", title: "Explain", draw: drawExplain},
];

// What each rule did with the input's first record (mapper explain's JSON form, docs/lineage.md).
function drawExplain(answer) {
  if (!answer.explain) return element("p", "empty", "No trace: the mapping does not load, or the input holds no record.");
  const table = element("table", "lineage");
  const head = element("tr");
  for (const name of ["target", "rule", "read", "steps", "written"]) head.append(element("th", "", name));
  table.append(head);
  const shown = (value) => JSON.stringify(value === undefined ? null : value);
  for (const field of answer.explain.fields) {
    const row = element("tr");
    const reads = field.reads.map((read) => `${read.path} = ${shown(read.value)}`).join("\n");
    const steps = field.steps.map((step) => `${step.step}${step.table ? " " + step.table : ""}: ${shown(step.value)}`).join("\n");
    const written = field.written ? shown(field.value) : `left out: ${field.reason}`;
    for (const cell of [field.target, field.location, reads, steps, written]) row.append(element("td", "", cell));
    table.append(row);
  }
  return table;
}

// Which source paths feed which target fields (mapper lineage's JSON form, docs/lineage.md).
function drawLineage(answer) {
  if (!answer.lineage) return element("p", "empty", "No lineage: the mapping does not load.");
  const table = element("table", "lineage");
  const head = element("tr");
  for (const name of ["target", "source", "rule", "via"]) head.append(element("th", "", name));
  table.append(head);
  const rows = [...answer.lineage.edges.map((edge) => [edge.target, edge.source, edge.rule, edge.via.join(", ")]),
                ...answer.lineage.constants.map((constant) =>
                  [constant.target, constant.todo ? `todo: ${constant.todo}` : `constant ${JSON.stringify(constant.value)}`,
                   constant.rule, ""])];
  for (const cells of rows) {
    const row = element("tr");
    for (const cell of cells) row.append(element("td", "", cell));
    table.append(row);
  }
  return table;
}

function drawOutput(answer) {
  if (!answer.output) return element("p", "empty", "No output: see Problems.");
  const box = element("div");
  const verdict = answer.output.status === 200 ? "converted" : "rejected: the reject, as --rejects writes it";
  box.append(element("div", "answer-status", `${answer.output.status} · ${verdict}`),
             Object.assign(element("pre", "", answer.output.text), {id: "output"}));
  return box;
}

function problemList(problems) {
  if (!problems.length) return element("p", "empty", "None.");
  const list = element("ul", "problems");
  for (const problem of problems) {
    const severity = problem.severity || "error";
    const item = element("li", severity + (problem.ignored ? " ignored" : ""));
    if (problem.code) item.append(element("span", "code", problem.code));
    item.append(element("span", "severity", severity + (problem.ignored ? " (ignored)" : "")),
                element("span", "where", "  " + (problem.where || "")),
                element(problem.detail ? "pre" : "span", "message", problem.detail || problem.message));
    if (problem.editor && problem.line) item.addEventListener("click", () => editors[problem.editor].reveal(problem.line));
    list.append(item);
  }
  return list;
}

const resultTabs = document.getElementById("result-tabs");
const panels = document.getElementById("panels");
for (const panel of PANELS) {
  const tab = element("button", "tab", panel.title);
  tab.dataset.tab = panel.id;
  tab.addEventListener("click", () => showPanel(panel.id));
  resultTabs.append(tab);
  const box = element("div", "panel");
  box.id = `panel-${panel.id}`;
  panels.append(box);
}

function showPanel(id) {
  for (const tab of resultTabs.children) tab.classList.toggle("active", tab.dataset.tab === id);
  for (const box of panels.children) box.hidden = box.id !== `panel-${id}`;
}

function showTab(page) {
  if (!page) return;
  for (const tab of document.querySelectorAll('[data-group="files"] .tab')) tab.classList.toggle("active", tab.dataset.tab === page);
  for (const name of ["input", "source_schema", "target_schema"]) editors[name].root.hidden = name !== page;
}
for (const tab of document.querySelectorAll('[data-group="files"] .tab')) tab.addEventListener("click", () => showTab(tab.dataset.tab));

function countBadge(tab, items) {
  tab.querySelector(".count")?.remove();
  if (!items.length) return;
  const worst = items.some((item) => (item.severity || "error") === "error") ? "error" : "warning";
  tab.append(element("span", "count " + worst, String(items.length)));
}

function draw(answer) {
  state.answer = answer;
  PANELS.forEach((panel, index) => {
    document.getElementById(`panel-${panel.id}`).replaceChildren(panel.draw(answer));
    if (panel.count) countBadge(resultTabs.children[index], panel.count(answer));
  });
  const marked = [...answer.problems, ...answer.findings.filter((found) => !found.ignored)];
  for (const name of EDITORS) {
    const marks = marked.filter((problem) => problem.editor === name && problem.line)
      .map((problem) => ({line: problem.line, severity: problem.severity || "error", message: problem.message}));
    editors[name].mark(marks);
    const tab = document.querySelector(`[data-group="files"] [data-tab="${name}"]`);
    if (tab) countBadge(tab, marks);
  }
  const found = answer.findings.filter((each) => !each.ignored);
  const errors = found.filter((each) => each.severity === "error").length;
  const parts = [answer.output ? `${answer.output.status}` : "not run", plural(answer.problems.length, "problem"),
                 `check: ${plural(errors, "error")}, ${plural(found.length - errors, "warning")}`];
  setStatus(parts.join(" · "), answer.problems.length > 0 || errors > 0);
  showPanel(answer.output && answer.output.status === 200 ? "output" : "problems");
}

function setStatus(text, bad = false) {
  const status = document.getElementById("status");
  status.textContent = text;
  status.classList.toggle("bad", bad);
}

async function post(path, body) {
  const response = await fetch(path, {method: "POST", headers: {"Content-Type": "application/json"},
                                      body: JSON.stringify(body)});
  const answer = await response.json();
  if (!response.ok) throw new Error(`${response.status}: ${answer.message}`);
  return answer;
}

async function run() {
  setStatus("running…");
  const texts = Object.fromEntries(EDITORS.map((name) => [name, editors[name].value]));
  try {
    draw(await post("/playground/run", {...texts, name: state.name,
                                         input_format: document.getElementById("input-format").value}));
  } catch (error) {
    setStatus(error.message, true);
  }
}

async function evaluate(event) {
  event.preventDefault();
  const out = document.getElementById("eval-result");
  try {
    // The mapping's texts go too: an input other than JSON is read by the mapping, as its rules see it.
    const texts = Object.fromEntries(EDITORS.map((name) => [name, editors[name].value]));
    const answer = await post("/playground/eval", {...texts, name: state.name,
                                                   expression: document.getElementById("expression").value,
                                                   input_format: document.getElementById("input-format").value});
    out.classList.toggle("error", Boolean(answer.problems));
    out.textContent = answer.problems ? answer.problems.map((problem) => problem.message).join("\n") : answer.result;
  } catch (error) {
    out.classList.add("error");
    out.textContent = error.message;
  }
}

async function load(name) {
  const response = await fetch("/playground/sample" + (name ? `?mapping=${encodeURIComponent(name)}` : ""));
  const answer = await response.json();
  if (!response.ok) return setStatus(`${response.status}: ${answer.message}`, true);
  const select = document.getElementById("mapping-select");
  select.replaceChildren(...answer.mappings.map((each) => element("option", "", each)));
  if (!answer.sample) return setStatus("no mapping served: see /health", true);
  const sample = answer.sample;
  state.name = select.value = sample.name;
  for (const name of EDITORS) editors[name].value = sample[name];
  document.getElementById("input-format").value = sample.input_format;
  await run();
}

document.getElementById("run").addEventListener("click", run);
document.getElementById("eval-form").addEventListener("submit", evaluate);
document.getElementById("mapping-select").addEventListener("change", (event) => load(event.target.value));
document.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
    event.preventDefault();
    if (event.target.id === "expression") evaluate(event);
    else run();
  }
});
showPanel("output");
load(new URLSearchParams(location.search).get("mapping"));
