// Apps: the OAuth clients that sign their users in with baas as an OpenID provider.
// Registering one shows a confidential client's secret once; deleting one stops its
// refresh tokens. The same as `baas oauth-clients` and /auth/admin/oauth-clients.

import { api } from "../api.js";
import { act, confirmDialog, emptyState, errorBox, field, fill, formatTime, h, notice, table } from "../ui.js";

export async function mount(container) {
  const messages = h("div", {});
  const created = h("div", {});
  const list = h("div", {}, h("p", { class: "muted" }, "Loading apps…"));
  const name = h("input", { type: "text", name: "name", maxlength: "100" });
  const redirects = h("textarea", { name: "redirect_uris", rows: "2", placeholder: "https://app.example.com/callback" });
  const logouts = h("textarea", { name: "post_logout_redirect_uris", rows: "1", placeholder: "https://app.example.com/" });
  const isPublic = h("input", { type: "checkbox", name: "public" });
  const create = h("button", { type: "button", class: "primary" }, "Register app");
  const lines = (text) => text.split(/\s+/).filter(Boolean);

  async function refresh() {
    try {
      const { clients } = await api("/auth/admin/oauth-clients");
      if (!clients.length) {
        fill(list, emptyState("No apps yet.", "Register an app so it can sign its users in with baas (OpenID Connect)."));
        return;
      }
      fill(
        list,
        table(
          [
            ["Name", (client) => client.name],
            ["Client id", (client) => h("code", {}, client.client_id)],
            ["Type", (client) => (client.public ? "public" : "confidential")],
            ["Redirect URIs", (client) => client.redirect_uris.join(" ")],
            ["Created", (client) => formatTime(client.created_at)],
            ["", (client) => deleteButton(client)],
          ],
          clients,
        ),
      );
    } catch (error) {
      fill(list, errorBox(error));
    }
  }

  function deleteButton(client) {
    const button = h("button", { type: "button", class: "danger", "aria-label": `Delete ${client.name}` }, "Delete");
    button.addEventListener("click", async () => {
      const sure = await confirmDialog("Delete this app?", `${client.name} can no longer sign users in, and its refresh tokens stop working.`, "Delete");
      if (!sure) return;
      await act(button, messages, async () => {
        await api(`/auth/admin/oauth-clients/${encodeURIComponent(client.client_id)}`, { method: "DELETE" });
        fill(messages, notice(`Deleted ${client.name}.`, "success"));
        fill(created);
        await refresh();
      });
    });
    return button;
  }

  create.addEventListener("click", () =>
    act(create, messages, async () => {
      const client = await api("/auth/admin/oauth-clients", {
        method: "POST",
        body: {
          name: name.value,
          redirect_uris: lines(redirects.value),
          post_logout_redirect_uris: lines(logouts.value),
          public: isPublic.checked,
        },
      });
      name.value = redirects.value = logouts.value = "";
      fill(
        created,
        h(
          "div",
          { class: "card", id: "new-app" },
          h("h3", {}, client.client_secret ? "New app: copy the secret now, it is not shown again" : "New public app"),
          h("dl", { class: "kv" },
            h("dt", {}, "Client id"), h("dd", {}, h("code", { class: "client-id" }, client.client_id)),
            client.client_secret ? [h("dt", {}, "Client secret"), h("dd", {}, h("div", { class: "secret" }, client.client_secret))] : null,
            h("dt", {}, "Discovery"), h("dd", {}, h("code", {}, `${location.origin}/.well-known/openid-configuration`))),
        ),
      );
      await refresh();
    }),
  );

  fill(
    container,
    h("h1", {}, "Apps"),
    messages,
    h("section", { class: "card" },
      h("h2", {}, "Sign in with baas"),
      h("p", { class: "muted" }, "Apps that sign their users in with baas (OpenID Connect, code flow with PKCE). Redirect URIs match exactly."),
      field("Name", name),
      field("Redirect URIs", redirects, "one per line"),
      field("Post-logout redirect URIs", logouts, "optional, one per line"),
      field("Public (no secret: a browser or native app)", isPublic),
      create,
      created,
      list),
  );
  await refresh();
  return null;
}
