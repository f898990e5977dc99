// The built client (clients/js/dist) against a running `baas dev` of the example app,
// from Node: run by test_client_js.py as
//   node --experimental-websocket node_flow.mjs <api> <outbox> <admin email> <password>
// Each step asserts; a failure exits non-zero with the assertion. The last line printed is
// a JSON summary the test checks again.
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { codeFor } from "./outbox.mjs";
import { createClient, memoryStore, BaasError, GraphQLResponseError } from "../../../clients/js/dist/index.js";

const [api, outbox, adminEmail, password] = process.argv.slice(2);
const summary = {};
const step = (name, value = true) => {
  summary[name] = value;
  console.log(`ok ${name}`);
};

/** A WebSocket that records what it was closed with (to see the 4403 reconnect). */
const sockets = [];
class RecordingWebSocket extends WebSocket {
  constructor(...args) {
    super(...args);
    const record = { closed: null };
    sockets.push(record);
    this.addEventListener("close", (event) => (record.closed = event.code));
  }
}

async function until(what, probe, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function signedUp(client, email) {
  const accepted = await client.auth.signUp({ email, password });
  assert.equal(accepted.status, "accepted");
  const code = await codeFor(outbox, email, "verif");
  const verified = await client.auth.verifyEmail({ email, code, password });
  assert.equal(verified.email_verified, true);
}

function totp(secret, at = Date.now()) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = "";
  for (const char of secret.replace(/=+$/, "")) bits += alphabet.indexOf(char).toString(2).padStart(5, "0");
  const key = Buffer.from(bits.match(/.{8}/g).map((byte) => parseInt(byte, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(at / 30_000)));
  const mac = createHmac("sha1", key).update(counter).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  return String((mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000).padStart(6, "0");
}

// --- Sign up, verify, sign in (storage mode: the refresh token in the client's store) ---
const store = memoryStore();
const maya = createClient({ url: api, mode: "storage", store, webSocketImpl: RecordingWebSocket });
await signedUp(maya, "maya@example.com");
const signedIn = await maya.auth.signIn({ email: "maya@example.com", password });
assert.equal(signedIn.status, "signed-in");
assert.equal(signedIn.user.email, "maya@example.com");
const userId = signedIn.user.id;
step("signed_in");

// --- A query and a mutation with the bearer token ---
const viewer = await maya.graphql("query { viewer { userId authenticated } }");
assert.deepEqual(viewer.viewer, { userId, authenticated: true });
const { createBoard: board } = await maya.graphql(
  "mutation($name: String!) { createBoard(input: {name: $name}) { id name owner } }",
  { name: "Launch" },
);
assert.equal(board.owner, userId);
step("query");
// A GraphQL error keeps its stable code.
await assert.rejects(
  maya.graphql("mutation { updateTodo(input: {boardId: \"nope\", id: \"nope\", title: \"x\"}) { id } }"),
  (error) => error instanceof GraphQLResponseError && error.code === "NOT_FOUND",
);

// --- A subscription receives the event of a mutation ---
const events = [];
const failures = [];
const stop = maya.subscribe(
  "subscription { onTodoCreated { boardId title owner } }",
  undefined,
  { next: (data) => events.push(data.onTodoCreated), error: (error) => failures.push(error) },
);
let sent = 0;
const createTodo = (title) =>
  maya.graphql("mutation($b: String!, $t: String!) { createTodo(input: {boardId: $b, title: $t}) { id } }", {
    b: board.id,
    t: title,
  });
// The protocol has no acknowledgement of a subscribe: write until one event arrives.
await until("the first event", async () => {
  if (events.length === 0) await createTodo(`before ${sent++}`);
  return events.length > 0;
});
assert.equal(events[0].boardId, board.id);
assert.equal(events[0].owner, userId);
step("subscription_event");

// --- Refresh: the refresh token rotates, the new access token works ---
const before = store.load();
const refreshed = await maya.auth.refresh();
assert.notEqual(refreshed.refreshToken, before.refreshToken);
assert.notEqual(refreshed.accessToken, before.accessToken);
assert.equal(store.load().refreshToken, refreshed.refreshToken);
// Concurrent callers of one process share one refresh.
const [a, b] = await Promise.all([maya.auth.refresh(), maya.auth.refresh()]);
assert.equal(a.accessToken, b.accessToken);
assert.equal((await maya.graphql("query { viewer { userId } }")).viewer.userId, userId);
step("refreshed");

// --- The server closes the socket with 4403 (the password change revokes the older
// tokens); the client reconnects with the fresh token and the subscription goes on ---
const eventsBefore = events.length;
await maya.auth.changePassword({ currentPassword: password, newPassword: password + " 2" });
await until("the 4403 close", () => sockets.some((s) => s.closed === 4403));
await until("an event after the reconnect", async () => {
  if (events.length === eventsBefore) await createTodo(`after ${sent++}`);
  return events.length > eventsBefore;
});
assert.ok(sockets.length >= 2, "a second connection");
assert.deepEqual(failures, []);
stop();
step("reconnected_after_4403", sockets.map((s) => s.closed));

// --- Calls: start the archive workflow, follow its progress, an admin approves ---
const call = await maya.calls.start("ArchiveBoard", { boardId: board.id });
assert.equal(call.status, "RUNNING");
const admin = createClient({ url: api, mode: "storage", store: memoryStore(), webSocketImpl: RecordingWebSocket });
assert.equal((await admin.auth.signIn({ email: adminEmail, password })).status, "signed-in");
const stages = [];
let approved = null;
const ended = await maya.calls.result(call.id, (progress) => {
  stages.push(progress.progress);
  if (progress.progress === "awaiting_approval" && approved === null) {
    approved = admin.calls.approve(call.id, true, "fine");
  }
});
await approved;
assert.equal(ended.status, "COMPLETED");
assert.equal(ended.result.boardId, board.id);
assert.equal(ended.result.approvedBy, (await admin.auth.me()).id);
assert.ok(stages.includes("awaiting_approval"), JSON.stringify(stages));
assert.equal((await maya.calls.get(call.id)).status, "COMPLETED");
assert.ok((await maya.calls.mine()).items.some((c) => c.id === call.id));
step("call_completed", stages);

// --- The MFA step is surfaced, and a recovery code completes it ---
const response = await maya.fetch("/auth/mfa/totp/enrol", {
  method: "POST",
  headers: { "Content-Type": "application/json" },
  body: JSON.stringify({ password: password + " 2" }),
});
assert.equal(response.status, 200);
const { secret } = await response.json();
const confirm = await maya.fetch("/auth/mfa/totp/confirm", {
  method: "POST",
  headers: { "Content-Type": "application/json" },
  body: JSON.stringify({ code: totp(secret) }),
});
assert.equal(confirm.status, 200, await confirm.clone().text());
const { recovery_codes: recovery } = await confirm.json();
const second = createClient({ url: api, store: memoryStore() });
const challenge = await second.auth.signIn({ email: "maya@example.com", password: password + " 2" });
assert.equal(challenge.status, "mfa-required");
assert.ok(challenge.factors.includes("totp"));
assert.equal(second.auth.signedIn, false);
const completed = await second.auth.verifyMfa({ mfaToken: challenge.mfaToken, code: recovery[0] });
assert.equal(completed.user.id, userId);
assert.equal((await second.graphql("query { viewer { userId } }")).viewer.userId, userId);
step("mfa_challenge");

// --- Anonymous sign-in ---
const guest = createClient({ url: api, store: memoryStore() });
const anonymous = await guest.auth.signInAnonymously();
assert.equal(anonymous.status, "signed-in");
assert.equal((await guest.graphql("query { viewer { authenticated } }")).viewer.authenticated, true);
step("anonymous");

// --- Sign-out: the session ends; its refresh token is refused afterwards ---
const last = store.load();
await maya.auth.signOut();
assert.equal(await maya.auth.getAccessToken(), null);
assert.equal(store.load(), null);
const replay = await fetch(`${api}/auth/token`, {
  method: "POST",
  headers: { "Content-Type": "application/json" },
  body: JSON.stringify({ grant_type: "refresh_token", refresh_token: last.refreshToken }),
});
assert.equal(replay.status, 400);
assert.equal((await replay.json()).error.code, "invalid_grant");
const old = await fetch(`${api}/auth/me`, { headers: { Authorization: `Bearer ${last.accessToken}` } });
assert.equal(old.status, 401);
// Another client of this process keeps its own session (no tabs to share with in Node).
assert.equal((await guest.graphql("query { viewer { authenticated } }")).viewer.authenticated, true);
// Signing out again ends nothing, and is no error; a refresh without a session throws.
await maya.auth.signOut();
await assert.rejects(maya.auth.refresh(), (error) => error instanceof BaasError && error.status === 400);
step("signed_out");

await Promise.all([maya.close(), admin.close(), second.close(), guest.close()]);
console.log(JSON.stringify(summary));
