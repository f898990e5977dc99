// Users: search by email, page, open one (identities, groups, sessions, status, second
// factors, security events); disable/enable, delete, set groups, end sessions, send a
// reset, unlink an identity (pages/user_identities.js), reset MFA or remove a passkey
// (pages/user_mfa.js).

import { api } from "../api.js";
import { identitiesSection } from "./user_identities.js";
import { mfaSection } from "./user_mfa.js";
import { act, confirmDialog, emptyState, errorBox, field, fill, formatTime, h, notice, pager, table } from "../ui.js";

const PAGE_SIZE = 25;

export async function mount(container) {
  const search = h("input", { type: "search", name: "email", placeholder: "part of an email address" });
  const find = h("button", { type: "submit", class: "primary" }, "Search");
  const messages = h("div", {});
  const results = h("div", {});
  const detail = h("div", {});
  let cursors = [null];

  async function load(pageIndex) {
    const params = new URLSearchParams({ limit: String(PAGE_SIZE) });
    if (search.value) params.set("email", search.value.trim());
    if (cursors[pageIndex]) params.set("cursor", cursors[pageIndex]);
    const { users, next_cursor: next } = await api(`/auth/admin/users?${params}`);
    cursors[pageIndex + 1] = next;
    fill(results,
      users.length
        ? table(
            [
              ["Email", (u) => u.email || h("span", { class: "muted" }, u.anonymous ? "anonymous" : "—")],
              ["Status", (u) => h("span", { class: `badge ${u.status}` }, u.status)],
              ["Groups", (u) => u.groups.join(", ")],
              ["Verified", (u) => (u.email_verified ? "yes" : "no")],
              ["Created", (u) => formatTime(u.created_at)],
            ],
            users,
            { onOpen: (user) => act(null, messages, () => open(user.id)), caption: `Page ${pageIndex + 1}${next ? ", more after" : ""}` },
          )
        : emptyState(search.value ? "No user on this page matches." : "No users yet.", next ? "The search goes on: see the next page." : ""),
      pager(pageIndex, Boolean(next), (index) => load(index), messages));
  }

  async function open(userId) {
    const id = encodeURIComponent(userId);
    const [user, { sessions }, { identities }, events] = await Promise.all([
      api(`/auth/admin/users/${id}`),
      api(`/auth/admin/users/${id}/sessions`),
      api(`/auth/admin/users/${id}/identities`),
      securityEvents(userId),
    ]);
    const local = h("div", {});
    const mfa = await mfaSection(user, () => open(userId), local);
    const groups = h("input", { type: "text", name: "groups", value: user.groups.join(", ") });
    const button = (label, attributes = {}) => h("button", { type: "button", ...attributes }, label);
    const toggle = button(user.status === "enabled" ? "Disable" : "Enable", { class: user.status === "enabled" ? "danger" : "" });
    const saveGroups = button("Set groups");
    const endSessions = button("End all sessions", { class: "danger" });
    const reset = button("Send password reset");
    const remove = button("Delete user", { class: "danger" });

    toggle.addEventListener("click", async () => {
      const disabling = user.status === "enabled";
      if (disabling && !(await confirmDialog("Disable this user?", `${user.email || user.id} is signed out everywhere at once and cannot sign in until enabled again.`, "Disable"))) return;
      await act(toggle, local, async () => {
        await api(`/auth/admin/users/${id}/${disabling ? "disable" : "enable"}`, { method: "POST", body: {} });
        await open(userId);
        await load(cursors.length - 2).catch(() => {});
      });
    });
    saveGroups.addEventListener("click", () => act(saveGroups, local, async () => {
      const wanted = groups.value.split(",").map((g) => g.trim()).filter(Boolean);
      await api(`/auth/admin/users/${id}/groups`, { method: "PUT", body: { groups: wanted } });
      await open(userId);
    }));
    endSessions.addEventListener("click", async () => {
      if (!(await confirmDialog("End every session?", "The user is signed out on every device; their access tokens stop working at once.", "End sessions"))) return;
      await act(endSessions, local, async () => {
        await api(`/auth/admin/users/${id}/sessions`, { method: "DELETE" });
        await open(userId);
      });
    });
    reset.addEventListener("click", () => act(reset, local, async () => {
      await api(`/auth/admin/users/${id}/password-reset`, { method: "POST", body: {} });
      fill(local, notice(`A reset code was mailed to ${user.email}.`, "success"));
    }));
    remove.addEventListener("click", async () => {
      if (!(await confirmDialog("Delete this user?", `${user.email || user.id}, their sessions and linked identities are deleted. Their items stay. This cannot be undone.`, "Delete"))) return;
      await act(remove, local, async () => {
        await api(`/auth/admin/users/${id}`, { method: "DELETE" });
        fill(detail, notice("Deleted.", "success"));
        await load(0);
      });
    });

    fill(detail, h("section", { class: "card", id: "user-detail", "aria-label": "User" },
      h("h2", {}, user.email || user.id, " ", h("span", { class: `badge ${user.status}` }, user.status)),
      h("dl", { class: "kv" },
        h("dt", {}, "id"), h("dd", {}, h("code", {}, user.id)),
        h("dt", {}, "email verified"), h("dd", {}, user.email_verified ? "yes" : "no"),
        h("dt", {}, "password"), h("dd", {}, user.has_password ? "set" : "none"),
        h("dt", {}, "created"), h("dd", {}, formatTime(user.created_at))),
      local,
      h("div", { class: "actions" }, toggle, endSessions, reset, remove),
      h("div", { class: "row" }, field("Groups (comma separated)", groups), saveGroups),
      mfa,
      identitiesSection(user, identities, () => open(userId), local),
      h("h3", {}, "Sessions"),
      sessions.length
        ? table([["Started", (s) => formatTime(s.created_at)], ["Last used", (s) => formatTime(s.last_used_at)], ["Expires", (s) => formatTime(s.expires_at)], ["Device", (s) => s.user_agent || "—"]], sessions)
        : emptyState("No open session."),
      h("h3", {}, "Security events"),
      events));
  }

  const form = h("form", { class: "card", role: "search" }, h("div", { class: "row" }, field("Email contains", search), find));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    cursors = [null];
    act(find, messages, () => load(0));
  });
  fill(container, h("h1", {}, "Users"), form, messages, h("div", { class: "split" }, results, detail));
  await act(null, messages, () => load(0));
  return null;
}

/** The user's security events (sign-ins, failures, resets, admin actions), newest first. */
async function securityEvents(userId) {
  try {
    const answer = await api(`/auth/admin/events?user=${encodeURIComponent(userId)}&limit=20`);
    const events = answer.events || [];
    if (!events.length) return emptyState("No security events recorded for this user.");
    return table(
      [
        ["When", (e) => formatTime(e.time)],
        ["Event", (e) => e.type],
        ["Detail", (e) => Object.entries(e.detail || {}).map(([k, v]) => `${k}: ${v}`).join(", ")],
        ["From", (e) => e.address || ""],
        ["By", (e) => (e.actor_id && e.actor_id !== userId ? `admin ${e.actor_id}` : "")],
        ["Request id", (e) => (e.request_id ? h("code", {}, e.request_id) : "")],
      ],
      events,
      { caption: "The 20 newest" },
    );
  } catch (error) {
    return errorBox(error);
  }
}
