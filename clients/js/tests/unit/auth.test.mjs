// Unit tests of the client's token keeping, with a fake fetch and a fake clock (no
// server): refresh a little before expiry, once after a 401, one refresh for concurrent
// callers, and signing out when the refresh is refused. Run by `npm test` (node --test)
// on the built package; the integration tests (tests/integration/client_js) run the
// same paths against a real baas.
import assert from "node:assert/strict";
import { afterEach, beforeEach, test } from "node:test";
import { createClient, memoryStore, GraphQLResponseError } from "../../dist/index.js";

const API = "http://api.test";
let now;
const realNow = Date.now;
beforeEach(() => {
  now = 1_000_000;
  Date.now = () => now;
});
afterEach(() => {
  Date.now = realNow;
});

/** A fake API: token responses numbered in order, and whatever `graphql` answers. */
function fakeApi({ expiresIn = 900, graphql = () => json(200, { data: { ok: true } }), refresh } = {}) {
  const calls = [];
  let issued = 0;
  // As the API answers: in the cookie (no refresh_token in the body) when the sign-in
  // asked for it, or when the refresh came from the cookie.
  const tokens = (body) => {
    issued += 1;
    const inCookie = body?.cookie === true || (body?.grant_type && !body.refresh_token);
    return json(200, {
      access_token: `access-${issued}`,
      token_type: "Bearer",
      expires_in: expiresIn,
      ...(inCookie ? {} : { refresh_token: `refresh-${issued}` }),
      user: { id: "u1", email: "maya@example.com", groups: [] },
    });
  };
  const fetch = async (url, init = {}) => {
    const path = url.slice(API.length);
    const body = init.body ? JSON.parse(init.body) : null;
    const authorization = new Headers(init.headers).get("Authorization");
    calls.push({ path, body, authorization });
    if (path === "/auth/signin") return tokens(body);
    if (path === "/auth/token") return refresh ? refresh(body) : tokens(body);
    if (path === "/graphql") return graphql(authorization, calls);
    return json(404, { error: { code: "not_found", message: "no" } });
  };
  return { fetch, calls, refreshes: () => calls.filter((c) => c.path === "/auth/token") };
}

function json(status, body) {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

async function signedIn(api, options = {}) {
  const client = createClient({ url: API, fetch: api.fetch, store: memoryStore(), ...options });
  assert.equal((await client.auth.signIn({ email: "maya@example.com", password: "pw" })).status, "signed-in");
  return client;
}

test("a token is used until a little before it expires, then refreshed first", async () => {
  const api = fakeApi({ expiresIn: 900 });
  const client = await signedIn(api, { refreshMarginSeconds: 60 });
  now += 839_000; // 61 s left
  assert.equal(await client.auth.getAccessToken(), "access-1");
  now += 2_000; // 59 s left: inside the margin
  assert.equal(await client.auth.getAccessToken(), "access-2");
  assert.deepEqual(api.refreshes().map((c) => c.body.refresh_token), ["refresh-1"]);
});

test("a short-lived token is refreshed half-way through its life at the earliest", async () => {
  const api = fakeApi({ expiresIn: 60 });
  const client = await signedIn(api, { refreshMarginSeconds: 300 });
  now += 29_000;
  assert.equal(await client.auth.getAccessToken(), "access-1");
  now += 2_000;
  assert.equal(await client.auth.getAccessToken(), "access-2");
});

test("a 401 refreshes once and sends the request again; a second 401 is answered", async () => {
  let refused = 0;
  const api = fakeApi({
    graphql: (authorization) => {
      if (authorization === "Bearer access-1" || refused >= 1) {
        refused += 1;
        return json(401, { errors: [{ message: "bad token", extensions: { code: "UNAUTHENTICATED" } }] });
      }
      return json(200, { data: { ok: true } });
    },
  });
  const client = await signedIn(api);
  await assert.rejects(
    client.graphql("{ ok }"),
    (error) => error instanceof GraphQLResponseError && error.code === "UNAUTHENTICATED",
  );
  const sent = api.calls.filter((c) => c.path === "/graphql").map((c) => c.authorization);
  assert.deepEqual(sent, ["Bearer access-1", "Bearer access-2"]);
  assert.equal(api.refreshes().length, 1);
});

test("a 401 after which the token works again answers the data", async () => {
  const api = fakeApi({
    graphql: (authorization) =>
      authorization === "Bearer access-1"
        ? json(401, { errors: [{ message: "expired", extensions: { code: "UNAUTHENTICATED" } }] })
        : json(200, { data: { ok: true } }),
  });
  const client = await signedIn(api);
  assert.deepEqual(await client.graphql("{ ok }"), { ok: true });
});

test("concurrent callers share one refresh", async () => {
  const api = fakeApi();
  const client = await signedIn(api);
  now += 10_000_000; // long expired
  const tokens = await Promise.all([1, 2, 3, 4].map(() => client.auth.getAccessToken()));
  assert.deepEqual(tokens, ["access-2", "access-2", "access-2", "access-2"]);
  assert.equal(api.refreshes().length, 1);
});

test("a refused refresh signs out and says so to listeners", async () => {
  const api = fakeApi({
    refresh: () => json(400, { error: { code: "invalid_grant", message: "revoked" } }),
  });
  const client = await signedIn(api);
  const seen = [];
  client.auth.onChange((user) => seen.push(user));
  now += 10_000_000;
  await assert.rejects(client.auth.getAccessToken(), (error) => error.code === "invalid_grant");
  assert.equal(client.auth.signedIn, false);
  assert.equal(await client.auth.getAccessToken(), null);
  assert.deepEqual(seen, [null]);
});

test("a refresh refused after a newer session arrived keeps the newer one", async () => {
  // A password change revokes the older sessions and answers a new one; the revoked
  // session's socket (closed 4403) may start a refresh before that answer arrives.
  let refuseRefresh;
  const refreshRefused = new Promise((resolve) => (refuseRefresh = resolve));
  const api = fakeApi({ refresh: () => refreshRefused });
  const fetch = async (url, init) =>
    url.endsWith("/auth/password/change")
      ? json(200, { access_token: "access-new", token_type: "Bearer", expires_in: 900,
                    refresh_token: "refresh-new", user: { id: "u1", email: "maya@example.com", groups: [] } })
      : api.fetch(url, init);
  const client = await signedIn({ ...api, fetch });
  const seen = [];
  client.auth.onChange((user) => seen.push(user));
  const refreshing = client.auth.refresh();
  await client.auth.changePassword({ currentPassword: "pw", newPassword: "pw 2" });
  refuseRefresh(json(400, { error: { code: "invalid_grant", message: "revoked" } }));
  assert.equal((await refreshing)?.accessToken, "access-new");
  assert.equal(client.auth.signedIn, true);
  assert.equal(await client.auth.getAccessToken(), "access-new");
  assert.deepEqual(seen, []); // never signed out meanwhile
});

test("the MFA step is surfaced, not a session", async () => {
  const fetch = async (url) =>
    url.endsWith("/auth/signin")
      ? json(200, { mfa_required: true, mfa_token: "ch1.x", factors: ["totp"], enrol: false, expires_in: 300 })
      : json(500, {});
  const client = createClient({ url: API, fetch, store: memoryStore() });
  const result = await client.auth.signIn({ email: "maya@example.com", password: "pw" });
  assert.deepEqual(result, { status: "mfa-required", mfaToken: "ch1.x", factors: ["totp"], enrol: false, expiresIn: 300 });
  assert.equal(client.auth.signedIn, false);
});

test("a social sign-in's MFA step is read from the fragment as the server wrote it", async () => {
  const fetch = async () => json(500, {});
  const client = createClient({ url: API, fetch, store: memoryStore() });
  const page = "https://app.test/back";
  const one = await client.auth.finishSocialSignIn(
    `${page}#mfa_token=ch1.x&factors=totp%2Crecovery_code&enrol=false&expires_in=120`,
  );
  assert.deepEqual(one, {
    status: "mfa-required",
    mfaToken: "ch1.x",
    factors: ["totp", "recovery_code"],
    enrol: false,
    expiresIn: 120,
  });
  // A required first factor to set up: no factors yet, enrol.
  const enrol = await client.auth.finishSocialSignIn(`${page}#mfa_token=ch1.y&factors=&enrol=true&expires_in=300`);
  assert.deepEqual(enrol, { status: "mfa-required", mfaToken: "ch1.y", factors: [], enrol: true, expiresIn: 300 });
  assert.equal(client.auth.signedIn, false);
});

test("cookie mode keeps no refresh token and refreshes through the cookie", async () => {
  const api = fakeApi();
  const store = memoryStore();
  const client = await signedIn(api, { mode: "cookie", store });
  assert.equal(api.calls[0].body.cookie, true);
  assert.equal(store.load().accessToken, ""); // what is persisted: a marker, no token
  assert.equal(store.load().refreshToken, null);
  await client.auth.refresh();
  assert.deepEqual(api.refreshes()[0].body, { grant_type: "refresh_token" });
});
