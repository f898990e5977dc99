// The console's shell: sign-in, the theme, the page router (#/page/...), the busy bar.

import { ApiError, currentUser, isAdmin, onBusy, restore, signIn, signOut } from "./api.js";
import { errorBox, field, fill, h, notice } from "./ui.js";

const PAGES = {
  overview: () => import("./pages/overview.js"),
  data: () => import("./pages/data.js"),
  users: () => import("./pages/users.js"),
  calls: () => import("./pages/calls.js"),
  keys: () => import("./pages/keys.js"),
  apps: () => import("./pages/apps.js"),
  graphql: () => import("./pages/graphql.js"),
};

const main = document.getElementById("main");
const nav = document.getElementById("nav");
let current = null; // the mounted page's {stop}

function setupTheme() {
  const saved = localStorage.getItem("baas-console-theme");
  if (saved) document.documentElement.dataset.theme = saved;
  document.getElementById("theme").addEventListener("click", () => {
    const dark =
      document.documentElement.dataset.theme === "dark" ||
      (!document.documentElement.dataset.theme && matchMedia("(prefers-color-scheme: dark)").matches);
    const next = dark ? "light" : "dark";
    document.documentElement.dataset.theme = next;
    localStorage.setItem("baas-console-theme", next);
  });
}

function setupBusy() {
  const bar = document.getElementById("busy");
  onBusy((isBusy) => {
    bar.hidden = !isBusy;
    document.body.setAttribute("aria-busy", String(isBusy));
  });
}

function showSignedIn(user) {
  document.getElementById("who").textContent = user.email || user.id;
  document.getElementById("signout").hidden = false;
  nav.hidden = false;
}

function showSignedOut() {
  document.getElementById("who").textContent = "";
  document.getElementById("signout").hidden = true;
  nav.hidden = true;
}

async function signInPage(reason) {
  stopPage();
  showSignedOut();
  const email = h("input", { type: "email", name: "email", autocomplete: "username", required: true });
  const password = h("input", {
    type: "password",
    name: "password",
    autocomplete: "current-password",
    required: true,
  });
  const submit = h("button", { type: "submit", class: "primary" }, "Sign in");
  const messages = h("div", { class: "messages" }, reason ? notice(reason, "warning") : null);
  const setupHint = h("div", {});
  const form = h(
    "form",
    { class: "signin card", "aria-labelledby": "signin-title" },
    h("h1", { id: "signin-title" }, "Sign in to the console"),
    h("p", { class: "muted" }, "For members of the admin group."),
    messages,
    field("Email", email),
    field("Password", password),
    h("div", { class: "actions" }, submit),
    setupHint,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    submit.disabled = true;
    fill(messages);
    try {
      const user = await signIn(email.value, password.value);
      if (!isAdmin(user)) {
        await signOut();
        fill(messages, errorBox(new ApiError(403, "not_admin", "This account is not in the admin group: the console is for admins only.", null)));
        return;
      }
      password.value = "";
      await route();
    } catch (error) {
      fill(messages, errorBox(error));
    } finally {
      submit.disabled = false;
    }
  });
  fill(main, form);
  email.focus();
  // No default account: say how to make the first admin when there is none.
  try {
    const response = await fetch("/console/setup", { credentials: "same-origin" });
    const setup = await response.json();
    if (!setup.admin_exists) {
      fill(
        setupHint,
        h(
          "div",
          { class: "message warning", id: "no-admin" },
          h("strong", {}, "Nobody can sign in yet: there is no admin account. "),
          "Create the first one on the server with ",
          h("code", {}, "baas users create-admin --email you@example.com"),
          " (it asks for the password), then sign in here.",
        ),
      );
    }
  } catch {
    // The hint is a courtesy; the form works without it.
  }
}

function stopPage() {
  if (current && current.stop) current.stop();
  current = null;
}

async function route() {
  let user = currentUser();
  if (!user) {
    try {
      user = await restore();
    } catch (error) {
      fill(main, errorBox(error));
      return;
    }
  }
  if (!user) return signInPage();
  if (!isAdmin(user)) {
    await signOut();
    return signInPage("This account is not in the admin group.");
  }
  showSignedIn(user);
  const [name, ...rest] = location.hash.replace(/^#\/?/, "").split("/");
  const page = PAGES[name] ? name : "overview";
  if (!PAGES[name]) {
    history.replaceState(null, "", "#/overview");
  }
  for (const link of nav.querySelectorAll("a")) {
    if (link.dataset.page === page) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  stopPage();
  const container = h("section", { class: `page page-${page}`, "aria-live": "polite" });
  fill(main, container);
  document.title = `${page[0].toUpperCase()}${page.slice(1)} · baas console`;
  try {
    const module = await PAGES[page]();
    current = (await module.mount(container, rest.map(decodeURIComponent))) || null;
  } catch (error) {
    if (error.status === 401) return signInPage("Your session ended; sign in again.");
    fill(container, errorBox(error));
  }
}

document.getElementById("signout").addEventListener("click", async () => {
  await signOut();
  await signInPage("Signed out.");
});

setupTheme();
setupBusy();
window.addEventListener("hashchange", () => route());
route();
