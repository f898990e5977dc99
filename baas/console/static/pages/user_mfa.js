// A user's second factors on the Users page: whether an authenticator app (TOTP) is
// enrolled, how many recovery codes are left, the passkeys (name, created, last used),
// and the admin's two actions on them — remove one passkey (a lost security key; never
// the user's last way in) and reset every second factor (a lost phone). Both end the
// user's sessions: whoever holds the lost device may hold one too.

import { api } from "../api.js";
import { act, confirmDialog, emptyState, formatTime, h, table } from "../ui.js";

/** The "Second factors" part of the user's card; ``reopen`` redraws the card after an
 *  action, ``where`` shows an action's error. */
export async function mfaSection(user, reopen, where) {
  const id = encodeURIComponent(user.id);
  const { passkeys } = await api(`/auth/admin/users/${id}/passkeys`);
  const mfa = user.mfa || { enabled: false, totp: false, passkeys: 0, recovery_codes_left: 0 };
  const who = user.email || user.id;

  const reset = h("button", { type: "button", class: "danger", disabled: !mfa.enabled }, "Reset MFA");
  reset.addEventListener("click", async () => {
    const text = `${who} loses their authenticator app, passkeys and recovery codes, and is signed out everywhere. They sign in with their password alone (and set up a second factor again if the app requires one).`;
    if (!(await confirmDialog("Reset every second factor?", text, "Reset MFA"))) return;
    await act(reset, where, async () => {
      await api(`/auth/admin/users/${id}/mfa`, { method: "DELETE" });
      await reopen();
    });
  });

  function removeButton(passkey) {
    const button = h("button", { type: "button", class: "danger", "aria-label": `Remove passkey ${passkey.name}` }, "Remove");
    button.addEventListener("click", async () => {
      const text = `${who} can no longer sign in with “${passkey.name}”, and is signed out everywhere.`;
      if (!(await confirmDialog("Remove this passkey?", text, "Remove passkey"))) return;
      await act(button, where, async () => {
        await api(`/auth/admin/users/${id}/passkeys/${encodeURIComponent(passkey.id)}`, { method: "DELETE" });
        await reopen();
      });
    });
    return button;
  }

  const columns = [
    ["Name", (p) => (p.backed_up ? [p.name, " ", h("span", { class: "muted" }, "(synced)")] : p.name)],
    ["Created", (p) => formatTime(p.created_at)],
    ["Last used", (p) => (p.last_used_at ? formatTime(p.last_used_at) : h("span", { class: "muted" }, "never"))],
    ["", removeButton],
  ];
  return h("section", { id: "user-mfa", "aria-label": "Second factors" },
    h("h3", {}, "Second factors"),
    h("dl", { class: "kv" },
      h("dt", {}, "second factor"), h("dd", {}, mfa.enabled ? "required at sign-in" : "none"),
      h("dt", {}, "authenticator app"), h("dd", {}, mfa.totp ? "enrolled" : "not enrolled"),
      h("dt", {}, "recovery codes left"), h("dd", {}, String(mfa.recovery_codes_left))),
    h("div", { class: "actions" }, reset),
    h("h4", {}, "Passkeys"),
    passkeys.length ? h("div", { id: "user-passkeys" }, table(columns, passkeys)) : emptyState("No passkey registered."));
}
