// Calls: every function and workflow call of the app (running, completed, failed), with
// input, result, error, progress and pending approvals; approve, signal, cancel and
// start through GraphQL as the signed-in admin (the same rules as for anyone); a link
// to the run in the Temporal UI.

import { api, graphql } from "../api.js";
import { act, confirmDialog, emptyState, errorBox, field, fill, formatTime, h, json, notice, pager, parseJson, table } from "../ui.js";

const PAGE_SIZE = 25;
const REFRESH_MS = 3000;
const VIEW = "id target status";

export async function mount(container) {
  const overview = await api("/admin/overview");
  const invocables = (overview.app && overview.app.invocables) || [];
  const status = h("select", { name: "status", "aria-label": "Status" },
    ["", "running", "completed", "failed", "cancelled", "terminated", "timed_out"].map((s) => h("option", { value: s }, s || "all")));
  const messages = h("div", {});
  const results = h("div", {});
  const detail = h("div", {});
  let tokens = [null];
  let shownId = null;
  let timer = null;
  let stopped = false;

  async function load(pageIndex) {
    const params = new URLSearchParams({ limit: String(PAGE_SIZE) });
    if (status.value) params.set("status", status.value);
    if (tokens[pageIndex]) params.set("next", tokens[pageIndex]);
    const { calls, next } = await api(`/admin/calls?${params}`);
    tokens[pageIndex + 1] = next;
    fill(results,
      calls.length
        ? table(
            [
              ["Target", (c) => c.target],
              ["Status", (c) => h("span", { class: `badge ${c.status}` }, c.status)],
              ["Started", (c) => formatTime(c.started_at)],
              ["By", (c) => c.started_by || h("span", { class: "muted" }, "system")],
              ["Call id", (c) => h("code", {}, c.id)],
            ],
            calls,
            { onOpen: (call) => act(null, messages, () => open(call.id)) },
          )
        : emptyState(status.value ? `No ${status.value} calls.` : "No calls yet.", "Start one below, or through GraphQL."),
      pager(pageIndex, Boolean(next), (index) => load(index), messages));
  }

  async function open(callId) {
    shownId = callId;
    const call = await api(`/admin/calls/${encodeURIComponent(callId)}`);
    const local = h("div", {});
    const actions = h("div", { class: "actions" });
    if (call.status === "running") {
      const approve = h("button", { type: "button", class: "primary" }, "Approve");
      const reject = h("button", { type: "button", class: "danger" }, "Reject");
      const comment = h("input", { type: "text", name: "comment", placeholder: "comment (optional)" });
      const answer = (approved, button) => act(button, local, async () => {
        await graphql(`mutation($id: ID!, $approved: Boolean!, $comment: String) { approveCall(id: $id, approved: $approved, comment: $comment) { ${VIEW} } }`,
          { id: callId, approved, comment: comment.value || null });
        fill(local, notice(approved ? "Approved." : "Rejected.", "success"));
        await refreshSoon();
      });
      approve.addEventListener("click", () => answer(true, approve));
      reject.addEventListener("click", () => answer(false, reject));
      const cancel = h("button", { type: "button", class: "danger" }, "Cancel call");
      cancel.addEventListener("click", async () => {
        if (!(await confirmDialog("Cancel this call?", "It stops; a saga in it compensates first. Only the user who started a call may cancel it.", "Cancel call"))) return;
        await act(cancel, local, async () => {
          await graphql(`mutation($id: ID!) { cancelCall(id: $id) { ${VIEW} } }`, { id: callId });
          fill(local, notice("Cancellation asked.", "success"));
          await refreshSoon();
        });
      });
      const signalName = h("input", { type: "text", name: "signal", placeholder: "signal name" });
      const payload = h("input", { type: "text", name: "payload", placeholder: "JSON payload (optional)" });
      const signal = h("button", { type: "button" }, "Send signal");
      signal.addEventListener("click", () => act(signal, local, async () => {
        const value = payload.value ? parseJson(payload.value, "The payload") : null;
        await graphql(`mutation($id: ID!, $name: String!, $payload: JSON) { signalCall(id: $id, name: $name, payload: $payload) { ${VIEW} } }`,
          { id: callId, name: signalName.value, payload: value });
        fill(local, notice(`Signal ${signalName.value} sent.`, "success"));
      }));
      actions.append(
        ...(call.awaiting_approval ? [h("div", { class: "row" }, field("Comment", comment), approve, reject)] : []),
        h("div", { class: "row" }, field("Signal", signalName), field("Payload", payload), signal),
        cancel);
    }
    const link = overview.temporal_ui
      ? h("a", { href: `${overview.temporal_ui}/namespaces/${encodeURIComponent(overview.temporal_namespace)}/workflows/${encodeURIComponent(callId)}`, target: "_blank", rel: "noopener" }, "Open in the Temporal UI")
      : h("span", { class: "muted" }, "Set BAAS_TEMPORAL_UI_URL to link runs to the Temporal UI.");
    fill(detail, h("section", { class: "card", id: "call-detail", "aria-label": "Call" },
      h("h2", {}, call.target, " ", h("span", { class: `badge ${call.status}` }, call.status),
        call.awaiting_approval ? h("span", { class: "badge waiting" }, " waiting for approval") : ""),
      h("dl", { class: "kv" },
        h("dt", {}, "call id"), h("dd", {}, h("code", {}, call.id)),
        h("dt", {}, "started"), h("dd", {}, formatTime(call.started_at)),
        h("dt", {}, "by"), h("dd", {}, call.started_by || "system"),
        call.closed_at ? [h("dt", {}, "ended"), h("dd", {}, formatTime(call.closed_at))] : null),
      link,
      h("h3", {}, "Input"), h("pre", {}, json(call.input)),
      call.progress !== undefined && call.progress !== null ? [h("h3", {}, "Progress"), h("pre", {}, json(call.progress))] : null,
      call.status !== "running" && call.error ? [h("h3", {}, "Error"), errorBox(call.error)] : null,
      call.status !== "running" && !call.error ? [h("h3", {}, "Result"), h("pre", { class: "result" }, json(call.result))] : null,
      local, actions));
  }

  async function refreshSoon() {
    await load(0).catch(() => {});
    if (shownId) await open(shownId).catch(() => {});
  }

  // Start a function or workflow: its GraphQL start mutation, as the signed-in admin.
  const startPanel = h("section", { class: "card", "aria-label": "Start a call" }, h("h2", {}, "Start a call"));
  if (!invocables.length) {
    startPanel.append(emptyState("Nothing to start.", "Expose a workflow or function with app.workflow(..., rules=[...])."));
  } else {
    const target = h("select", { name: "target" }, invocables.map((inv, i) => h("option", { value: String(i) }, `${inv.name} (${inv.kind})`)));
    const input = h("textarea", { class: "code", name: "input", "aria-label": "Input as JSON", spellcheck: "false", style: "min-height:120px" });
    const start = h("button", { type: "button", class: "primary" }, "Start");
    const local = h("div", {});
    const example = () => { input.value = json(invocables[Number(target.value)].input_example); };
    target.addEventListener("change", example);
    example();
    start.addEventListener("click", () => act(start, local, async () => {
      const chosen = invocables[Number(target.value)];
      const value = parseJson(input.value, "The input");
      const data = await graphql(`mutation($input: JSON!) { ${chosen.mutation}(input: $input) { ${VIEW} } }`, { input: value });
      const call = data[chosen.mutation];
      fill(local, notice(`Started ${call.target}: ${call.id}`, "success"));
      status.value = "";
      await load(0);
      await open(call.id);
    }));
    startPanel.append(h("div", { class: "row" }, field("Function or workflow", target)), field("Input (JSON)", input), local, h("div", { class: "actions" }, start));
  }

  status.addEventListener("change", () => {
    tokens = [null];
    act(null, messages, () => load(0));
  });
  fill(container, h("h1", {}, "Calls"),
    h("div", { class: "row" }, field("Show", status)),
    messages,
    h("div", { class: "split" }, h("div", {}, results), detail),
    startPanel);
  await act(null, messages, () => load(0));

  // Keep a shown running call current (its progress, an approval arriving).
  async function tick() {
    if (stopped) return;
    const running = detail.querySelector(".badge.running");
    const focused = detail.contains(document.activeElement);
    if (running && shownId && !focused) {
      await open(shownId).catch(() => {});
      // It ended meanwhile: the list shows it ended too.
      if (!detail.querySelector(".badge.running")) await load(0).catch(() => {});
    }
    if (!stopped) timer = setTimeout(tick, REFRESH_MS);
  }
  timer = setTimeout(tick, REFRESH_MS);
  return { stop: () => { stopped = true; clearTimeout(timer); } };
}
