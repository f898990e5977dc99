// Overview: health, what the app declares, request figures, recent errors by request id.

import { api } from "../api.js";
import { emptyState, errorBox, fill, formatTime, h, table } from "../ui.js";

const REFRESH_MS = 5000;

function list(items, render, empty) {
  if (!items || !items.length) return h("p", { class: "muted" }, empty);
  return h("ul", { class: "plain" }, items.map((item) => h("li", {}, render(item))));
}

async function health() {
  // /healthz answers 503 with the reasons when something is down: both are answers.
  const response = await fetch("/healthz", { cache: "no-store" });
  return response.json();
}

function healthCard(result) {
  const checks = Object.entries(result.checks || {});
  return h(
    "div",
    { class: "card", id: "health" },
    h("h2", {}, "Health ", h("span", { class: `badge ${result.status === "ok" ? "ok" : "error"}` }, result.status)),
    h("dl", { class: "kv" }, checks.map(([name, check]) => [
      h("dt", {}, name),
      h("dd", {}, h("span", { class: `badge ${check.status}` }, check.status), check.reason ? ` ${check.reason}` : ""),
    ])),
  );
}

function appCard(overview) {
  const app = overview.app;
  if (!app) return h("div", { class: "card" }, h("h2", {}, "App"), emptyState("No app is loaded.", "Set BAAS_APP=module:app."));
  return h(
    "div",
    { class: "card", id: "app" },
    h("h2", {}, "App ", h("code", {}, app.name)),
    h("dl", { class: "kv" },
      h("dt", {}, "environment"), h("dd", {}, overview.env),
      h("dt", {}, "models"), h("dd", {}, String(app.models.length)),
      h("dt", {}, "functions"), h("dd", {}, String(app.functions.length)),
      h("dt", {}, "workflows"), h("dd", {}, String(app.workflows.length)),
      h("dt", {}, "triggers"), h("dd", {}, String(app.triggers.length)),
      h("dt", {}, "schedules"), h("dd", {}, String(app.schedules.length))),
  );
}

function declared(app) {
  if (!app) return [];
  return [
    h("div", { class: "card" }, h("h2", {}, "Models"),
      list(app.models, (m) => [h("a", { href: `#/data/${encodeURIComponent(m.table)}` }, m.name), " ",
        h("span", { class: "muted" }, `table ${m.table}, key ${m.partition_key}${m.sort_key ? ` + ${m.sort_key}` : ""}${m.indexes.length ? `, indexes ${m.indexes.join(", ")}` : ""}`)], "No models.")),
    h("div", { class: "card" }, h("h2", {}, "Functions and workflows"),
      list([...app.functions.map((f) => ({ ...f, kind: "function" })), ...app.workflows.map((w) => ({ ...w, kind: "workflow" }))],
        (t) => [h("code", {}, t.name), " ", h("span", { class: "muted" }, t.kind), t.invocable ? h("span", { class: "badge" }, "startable") : ""],
        "No functions or workflows.")),
    h("div", { class: "card" }, h("h2", {}, "Triggers and schedules"),
      list([...app.triggers.map((t) => [h("code", {}, t.name), ` on ${t.events.join("/")} of ${t.table} → ${t.target}`]),
        ...app.schedules.map((s) => [h("code", {}, s.name), ` at ${s.cron.join(", ")}${s.timezone ? ` (${s.timezone})` : ""} → ${s.target}`])],
      (line) => line, "No triggers or schedules.")),
  ];
}

function traffic(metrics, previous) {
  const elapsed = previous ? (metrics.now - previous.now) : metrics.now - metrics.started_at;
  const before = new Map(((previous && previous.groups) || []).map((g) => [g.path, g.requests]));
  const rate = (group) => {
    const delta = group.requests - (previous ? before.get(group.path) || 0 : 0);
    return elapsed > 0 ? (delta / elapsed).toFixed(2) : "–";
  };
  const ms = (value) => (value === null || value === undefined ? "–" : `${value} ms`);
  const rows = metrics.groups;
  return h("div", { class: "card", id: "traffic" },
    h("h2", {}, "Requests"),
    h("p", { class: "muted" }, `This API process, since ${formatTime(metrics.started_at)}; ${metrics.in_flight} in flight, ${metrics.websockets} WebSockets open. Rate: ${previous ? "over the last few seconds" : "average since start"}.`),
    rows.length
      ? table(
          [
            ["Path", (g) => h("code", {}, g.path)],
            ["Requests", (g) => String(g.requests)],
            ["Per second", rate],
            ["4xx", (g) => String(g.client_errors)],
            ["5xx", (g) => String(g.server_errors)],
            ["Mean", (g) => ms(g.mean_ms)],
            ["p50 ≤", (g) => ms(g.p50_ms)],
            ["p95 ≤", (g) => ms(g.p95_ms)],
          ],
          rows,
        )
      : emptyState("No requests yet."));
}

function recentErrors(metrics) {
  return h("div", { class: "card", id: "recent-errors" },
    h("h2", {}, "Recent errors"),
    h("p", { class: "muted" }, "Answers with status 400 and above; quote the request id to find its log lines."),
    metrics.recent_errors.length
      ? table(
          [
            ["When", (e) => formatTime(e.at)],
            ["Request", (e) => `${e.method} ${e.path}`],
            ["Status", (e) => h("span", { class: `badge ${e.status >= 500 ? "error" : ""}` }, String(e.status))],
            ["Request id", (e) => h("code", {}, e.request_id || "")],
          ],
          metrics.recent_errors,
        )
      : emptyState("No errors since this process started."));
}

export async function mount(container) {
  let previous = null;
  let timer = null;
  let stopped = false;
  async function render() {
    try {
      const [overview, healthResult] = await Promise.all([api("/admin/overview"), health()]);
      if (stopped) return;
      document.getElementById("app-name").textContent = overview.app ? overview.app.name : "";
      fill(
        container,
        h("h1", {}, "Overview"),
        h("div", { class: "cards" }, healthCard(healthResult), appCard(overview)),
        h("div", { class: "cards", style: "margin-top:14px" }, declared(overview.app)),
        h("div", { style: "margin-top:14px" }, traffic(overview.metrics, previous), recentErrors(overview.metrics)),
      );
      previous = overview.metrics;
    } catch (error) {
      if (!stopped) fill(container, h("h1", {}, "Overview"), errorBox(error));
    }
    if (!stopped) timer = setTimeout(render, REFRESH_MS);
  }
  await render();
  return { stop: () => { stopped = true; clearTimeout(timer); } };
}
