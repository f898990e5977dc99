// Small DOM helpers shared by the pages: elements, messages, confirmations, tables.
//
// Text always goes in as text nodes (never innerHTML): the console shows data that
// anyone may have written (item values, user agents, emails).

/** An element: h("button", {class: "primary", onclick}, "Save"). */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") {
      element.addEventListener(name.slice(2), value);
    } else if (name === "class") {
      element.className = value;
    } else if (value === true) {
      element.setAttribute(name, "");
    } else {
      element.setAttribute(name, String(value));
    }
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replace an element's content. */
export function fill(element, ...children) {
  element.replaceChildren();
  append(element, children);
  return element;
}

/** An error as the reader needs it: what happened, and the request id to quote. */
export function errorBox(error) {
  const requestId = error && error.requestId;
  return h(
    "div",
    { class: "message error", role: "alert" },
    h("strong", {}, (error && error.message) || String(error)),
    error && error.code ? h("span", { class: "code" }, ` (${error.code})`) : null,
    requestId ? h("div", { class: "request-id" }, "request id: ", h("code", {}, requestId)) : null,
  );
}

export function notice(text, kind = "info") {
  return h("div", { class: `message ${kind}`, role: "status" }, text);
}

export function emptyState(title, ...hint) {
  return h("div", { class: "empty" }, h("p", { class: "empty-title" }, title), h("p", {}, ...hint));
}

/** Run an action from a button: disabled while it runs, its error shown in ``where``. */
export async function act(button, where, action) {
  if (button) button.disabled = true;
  if (where) fill(where);
  try {
    return await action();
  } catch (error) {
    if (where) fill(where, errorBox(error));
    else throw error;
    return undefined;
  } finally {
    if (button) button.disabled = false;
  }
}

/** A modal confirmation; resolves true when confirmed (Escape or Cancel: false). */
export function confirmDialog(title, text, confirmLabel = "Confirm") {
  return new Promise((resolve) => {
    const dialog = h(
      "dialog",
      { class: "confirm", "aria-labelledby": "confirm-title" },
      h("h2", { id: "confirm-title" }, title),
      h("p", {}, text),
    );
    const cancel = h("button", { type: "button" }, "Cancel");
    const ok = h("button", { type: "button", class: "danger" }, confirmLabel);
    dialog.append(h("div", { class: "actions" }, cancel, ok));
    const close = (answer) => {
      dialog.close();
      dialog.remove();
      resolve(answer);
    };
    cancel.addEventListener("click", () => close(false));
    ok.addEventListener("click", () => close(true));
    dialog.addEventListener("cancel", (event) => {
      event.preventDefault();
      close(false);
    });
    document.body.append(dialog);
    dialog.showModal();
    cancel.focus();
  });
}

/** A table of rows; ``columns`` are [heading, row => cell]. Rows with ``onOpen`` are
 * links reachable by keyboard (Enter). */
export function table(columns, rows, { onOpen, caption } = {}) {
  const head = h("tr", {}, columns.map(([heading]) => h("th", { scope: "col" }, heading)));
  const body = rows.map((row) => {
    const cells = columns.map(([, cell]) => h("td", {}, cell(row)));
    if (!onOpen) return h("tr", {}, cells);
    const tr = h("tr", { class: "openable", tabindex: "0" }, cells);
    tr.addEventListener("click", () => onOpen(row, tr));
    tr.addEventListener("keydown", (event) => {
      if (event.key === "Enter") onOpen(row, tr);
    });
    return tr;
  });
  return h(
    "div",
    { class: "table-wrap" },
    h("table", {}, caption ? h("caption", {}, caption) : null, h("thead", {}, head), h("tbody", {}, body)),
  );
}

/** Previous/Next page buttons around ``load(pageIndex)``; errors shown in ``where``. */
export function pager(pageIndex, hasNext, load, where) {
  const prev = h("button", { type: "button", disabled: pageIndex === 0 }, "Previous page");
  const next = h("button", { type: "button", disabled: !hasNext }, "Next page");
  prev.addEventListener("click", () => act(prev, where, () => load(pageIndex - 1)));
  next.addEventListener("click", () => act(next, where, () => load(pageIndex + 1)));
  return h("div", { class: "actions" }, prev, next);
}

export function formatTime(value) {
  if (value === null || value === undefined || value === "") return "";
  const date = typeof value === "number" ? new Date(value * 1000) : new Date(value);
  if (Number.isNaN(date.getTime())) return String(value);
  return date.toLocaleString();
}

export function json(value) {
  return JSON.stringify(value, null, 2);
}

/** A labelled field: label("Email", input). */
export function field(label, control, hint) {
  const id = control.id || `f-${Math.random().toString(36).slice(2, 9)}`;
  control.id = id;
  return h(
    "div",
    { class: "field" },
    h("label", { for: id }, label),
    control,
    hint ? h("small", {}, hint) : null,
  );
}

/** Parse JSON typed by the user, or throw an error that says where it is wrong. */
export function parseJson(text, what) {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw Object.assign(new Error(`${what} is not valid JSON: ${error.message}`), { code: "invalid_json" });
  }
}
