// A user's linked social identities on the Users page (provider, email, when linked),
// and the admin's action on one: unlink it. The API refuses to unlink the account's
// last way in (the refusal shows like any error); the user's sessions stay, and they are
// told by mail (docs/auth.md, "Unlinking an identity").

import { api } from "../api.js";
import { act, confirmDialog, emptyState, formatTime, h, table } from "../ui.js";

/** The "Linked identities" part of the user's card; ``reopen`` redraws the card after an
 *  unlink, ``where`` shows an error (such as the last-way-in refusal). */
export function identitiesSection(user, identities, reopen, where) {
  const id = encodeURIComponent(user.id);
  const who = user.email || user.id;

  function unlinkButton(identity) {
    const label = `Unlink ${identity.provider}${identity.email ? ` ${identity.email}` : ""}`;
    const button = h("button", { type: "button", class: "danger", "aria-label": label }, "Unlink");
    button.addEventListener("click", async () => {
      const text = `${who} can no longer sign in with ${identity.provider}${identity.email ? ` (${identity.email})` : ""}. Their open sessions stay; they are told by mail.`;
      if (!(await confirmDialog("Unlink this identity?", text, "Unlink"))) return;
      await act(button, where, async () => {
        await api(`/auth/admin/users/${id}/identities/${encodeURIComponent(identity.id)}`, { method: "DELETE" });
        await reopen();
      });
    });
    return button;
  }

  const columns = [
    ["Provider", (i) => i.provider],
    ["Email", (i) => i.email || ""],
    ["Linked", (i) => formatTime(i.linked_at)],
    ["", unlinkButton],
  ];
  return h("section", { id: "user-identities", "aria-label": "Linked identities" },
    h("h3", {}, "Linked identities"),
    identities.length ? table(columns, identities) : emptyState("No social login linked."));
}
