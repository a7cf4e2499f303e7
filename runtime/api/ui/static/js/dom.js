// Small DOM helpers. Text from the API only ever goes in as text nodes, never as markup.

export function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else if (name === "class") node.className = value;
    else if (name === "dataset") Object.assign(node.dataset, value);
    else if (value === true) node.setAttribute(name, "");
    else node.setAttribute(name, String(value));
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function replace(node, ...children) {
  node.replaceChildren();
  append(node, children);
  return node;
}

let uid = 0;
export function nextId(prefix) {
  uid += 1;
  return `${prefix}-${uid}`;
}

// A labelled form control: <div class="field"><label for=id>…</label>control</div>.
export function field(text, control, hint) {
  if (!control.id) control.id = nextId("f");
  return h(
    "div",
    { class: "field" },
    h("label", { for: control.id }, text, hint ? h("span", { class: "hint" }, ` (${hint})`) : null),
    control,
  );
}

export function flash(message, kind = "error") {
  const box = document.getElementById("flash");
  box.textContent = message;
  box.className = kind === "ok" ? "flash ok" : "flash";
  box.hidden = !message;
}

// A message meant for the page a navigation is about to show (the router clears the old one).
let pending = null;
export function flashAfterNavigation(message, kind = "ok") {
  pending = { message, kind };
}

export function clearFlash() {
  if (pending) flash(pending.message, pending.kind);
  else flash("");
  pending = null;
}

export function announce(message) {
  document.getElementById("status").textContent = message;
}

export function formatMetric(value) {
  return typeof value === "number" ? value.toFixed(4) : "–";
}

export function badge(text) {
  return h("span", { class: `badge ${text}` }, text);
}

export function formatNumber(value) {
  if (value === null || value === undefined) return "–";
  if (typeof value !== "number") return String(value);
  return Number.isInteger(value) ? String(value) : value.toFixed(4);
}

// A value of the data (a range, a mean): at most 4 decimals, no trailing zeros (4.3, 5.8433).
export function formatValue(value) {
  if (typeof value !== "number") return formatNumber(value);
  return value.toFixed(4).replace(/\.?0+$/, "");
}

// A modal confirmation (the native <dialog>: focus moves in and is restored on close).
export function confirmDialog(title, text, okText = "Confirm") {
  const dialog = document.getElementById("confirm");
  document.getElementById("confirm-title").textContent = title;
  document.getElementById("confirm-text").textContent = text;
  document.getElementById("confirm-ok").textContent = okText;
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"), { once: true });
    dialog.returnValue = "cancel";
    dialog.showModal();
    document.getElementById("confirm-cancel").focus();
  });
}

// A table in a box that scrolls sideways on a narrow screen (the page itself never does).
export function table(headers, rows, { caption, numeric = [], id } = {}) {
  return h("div", { class: "table-scroll", id },
    h(
      "table",
      {},
      caption ? h("caption", { class: "visually-hidden" }, caption) : null,
      h("thead", {}, h("tr", {}, headers.map((text, i) =>
        h("th", { scope: "col", class: numeric.includes(i) ? "num" : null }, text)))),
      h("tbody", {}, rows),
    ));
}

// A stored timestamp (ISO 8601, UTC) in the reader's own locale and time zone; the exact
// value stays in the element's datetime attribute and tooltip.
const TIME_FORMAT = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" });

export function formatTime(iso) {
  if (!iso) return null;
  const when = new Date(iso);
  if (Number.isNaN(when.getTime())) return String(iso);
  return h("time", { datetime: iso, title: iso }, TIME_FORMAT.format(when));
}

// A duration in seconds as "850 ms", "12.3 s", "4 min 05 s", "2 h 03 min".
export function formatDuration(seconds) {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return "–";
  if (seconds < 1) return `${Math.round(seconds * 1000)} ms`;
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${String(Math.round(seconds % 60)).padStart(2, "0")} s`;
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, "0")} min`;
}

export function percent(share) {
  return typeof share === "number" ? `${(share * 100).toFixed(0)}%` : "–";
}
