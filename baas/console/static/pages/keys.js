// Keys: access keys of /dynamodb (create shows the secret once; revoke) and the
// access-token signing key (rotate).

import { api } from "../api.js";
import { act, confirmDialog, emptyState, errorBox, field, fill, formatTime, h, notice, table } from "../ui.js";

export async function mount(container) {
  const messages = h("div", {});
  const created = h("div", {});
  const list = h("div", {}, h("p", { class: "muted" }, "Loading keys…"));
  const signing = h("div", {});
  const description = h("input", { type: "text", name: "description", placeholder: "what the key is for", maxlength: "256" });
  const create = h("button", { type: "button", class: "primary" }, "Create access key");

  async function refresh() {
    try {
      const { keys } = await api("/admin/access-keys");
      if (!keys.length) {
        fill(list, emptyState("No access keys yet.", "A key lets boto3 or another AWS SDK use /dynamodb as the system caller."));
        return;
      }
      fill(
        list,
        table(
          [
            ["Key id", (key) => h("code", {}, key.key_id)],
            ["Description", (key) => key.description],
            ["Created", (key) => formatTime(key.created_at)],
            ["Status", (key) => h("span", { class: `badge ${key.active ? "active" : "revoked"}` }, key.active ? "active" : `revoked ${formatTime(key.revoked_at)}`)],
            ["", (key) => (key.active ? revokeButton(key) : "")],
          ],
          keys,
        ),
      );
    } catch (error) {
      fill(list, errorBox(error));
    }
  }

  function revokeButton(key) {
    const button = h("button", { type: "button", class: "danger", "aria-label": `Revoke ${key.key_id}` }, "Revoke");
    button.addEventListener("click", async () => {
      const sure = await confirmDialog("Revoke this key?", `Requests signed with ${key.key_id} are refused from now on. This cannot be undone.`, "Revoke");
      if (!sure) return;
      await act(button, messages, async () => {
        await api(`/admin/access-keys/${encodeURIComponent(key.key_id)}`, { method: "DELETE" });
        fill(messages, notice(`Revoked ${key.key_id}.`, "success"));
        fill(created);
        await refresh();
      });
    });
    return button;
  }

  create.addEventListener("click", () =>
    act(create, messages, async () => {
      const key = await api("/admin/access-keys", { method: "POST", body: { description: description.value } });
      description.value = "";
      fill(
        created,
        h(
          "div",
          { class: "card", id: "new-key" },
          h("h3", {}, "New access key: copy the secret now, it is not shown again"),
          h("dl", { class: "kv" },
            h("dt", {}, "Key id"), h("dd", {}, h("code", { class: "key-id" }, key.key_id)),
            h("dt", {}, "Secret"), h("dd", {}, h("div", { class: "secret" }, key.secret))),
          h("pre", {}, `aws_access_key_id=${key.key_id}\naws_secret_access_key=${key.secret}\nendpoint_url=${location.origin}/dynamodb`),
        ),
      );
      await refresh();
    }),
  );

  const rotate = h("button", { type: "button" }, "Rotate signing key");
  rotate.addEventListener("click", async () => {
    const sure = await confirmDialog("Rotate the signing key?", "New access tokens are signed with a new key; tokens signed before stay valid until they expire.", "Rotate");
    if (!sure) return;
    await act(rotate, messages, async () => {
      const key = await api("/auth/admin/signing-keys/rotate", { method: "POST", body: {} });
      fill(messages, notice(`New signing key ${key.kid} (${key.alg}).`, "success"));
      await showSigning();
    });
  });

  async function showSigning() {
    try {
      const response = await fetch("/.well-known/jwks.json");
      const jwks = await response.json();
      fill(signing, h("p", {}, "Public keys clients verify tokens with (", h("a", { href: "/.well-known/jwks.json" }, "/.well-known/jwks.json"), "): ", jwks.keys.map((key, i) => [i ? ", " : "", h("code", {}, key.kid)])));
    } catch (error) {
      fill(signing, errorBox(error));
    }
  }

  fill(
    container,
    h("h1", {}, "Keys"),
    messages,
    h("section", { class: "card" },
      h("h2", {}, "Access keys"),
      h("p", { class: "muted" }, "SigV4 credentials for the DynamoDB-compatible endpoint; each acts as the system caller."),
      h("div", { class: "row" }, field("Description", description), create),
      created,
      list),
    h("section", { class: "card" },
      h("h2", {}, "Signing key"),
      h("p", { class: "muted" }, "The key access tokens are signed with."),
      signing,
      rotate),
  );
  await Promise.all([refresh(), showSigning()]);
  return null;
}
