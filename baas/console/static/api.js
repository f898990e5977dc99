// The console's one way to the API: the signed-in session, JSON requests, errors.
//
// The access token lives in this module's memory only (never in localStorage, where
// an injected script could read it later); the refresh token stays in the HttpOnly
// cookie /auth/signin set, and /auth/token turns it into a new access token on a
// reload or shortly before the current one expires.

export class ApiError extends Error {
  constructor(status, code, message, requestId) {
    super(message);
    this.status = status;
    this.code = code;
    this.requestId = requestId;
  }
}

let session = null; // {token, user, expiresAt}
let refreshing = null;
const listeners = new Set();
let pending = 0;

/** Called with true/false when requests slower than 200 ms start or all end. */
export function onBusy(listener) {
  listeners.add(listener);
}

function busy(delta) {
  pending += delta;
  for (const listener of listeners) listener(pending > 0);
}

export function currentUser() {
  return session ? session.user : null;
}

export function isAdmin(user) {
  return Boolean(user && user.groups && user.groups.includes("admin"));
}

async function send(path, { method = "GET", body, headers = {}, token, withId = false } = {}) {
  const init = { method, headers: { ...headers }, credentials: "same-origin" };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = typeof body === "string" ? body : JSON.stringify(body);
  }
  if (token) init.headers.Authorization = `Bearer ${token}`;
  // A progress indication only for what takes longer than 200 ms.
  let shown = false;
  const timer = setTimeout(() => {
    shown = true;
    busy(1);
  }, 200);
  let response;
  try {
    response = await fetch(path, init);
  } catch (error) {
    throw new ApiError(0, "network", "The server cannot be reached.", null);
  } finally {
    clearTimeout(timer);
    if (shown) busy(-1);
  }
  const requestId = response.headers.get("X-Request-Id");
  const text = await response.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!response.ok) {
    const error = (data && data.error) || {};
    throw new ApiError(
      response.status,
      error.code || `http_${response.status}`,
      error.message || response.statusText || "The request failed.",
      error.request_id || requestId,
    );
  }
  return withId ? { data, requestId } : data;
}

function remember(answer) {
  session = {
    token: answer.access_token,
    user: answer.user,
    // Refresh a little before the token expires.
    expiresAt: Date.now() + Math.max(10, answer.expires_in - 30) * 1000,
  };
  return session.user;
}

/** Sign in with email and password; the refresh token goes to the HttpOnly cookie. */
export async function signIn(email, password) {
  const answer = await send("/auth/signin", {
    method: "POST",
    body: { email, password, cookie: true },
  });
  return remember(answer);
}

/** A new access token from the refresh cookie; null when there is no session. */
export async function restore() {
  if (!refreshing) {
    refreshing = send("/auth/token", { method: "POST", body: { grant_type: "refresh_token" } })
      .then(remember)
      .catch((error) => {
        session = null;
        if (error.status === 0) throw error;
        return null;
      })
      .finally(() => {
        refreshing = null;
      });
  }
  return refreshing;
}

/** End the session (the cookie's) and forget the access token. */
export async function signOut() {
  session = null;
  try {
    await send("/auth/signout", { method: "POST", body: {} });
  } catch {
    // Already ended (or never started): signed out either way.
  }
}

async function token() {
  if (!session || Date.now() > session.expiresAt) await restore();
  if (!session) throw new ApiError(401, "signed_out", "Your session ended; sign in again.", null);
  return session.token;
}

/** A request as the signed-in admin; a 401 is retried once with a fresh token. */
export async function api(path, options = {}) {
  try {
    return await send(path, { ...options, token: await token() });
  } catch (error) {
    if (error.status !== 401 || error.code === "signed_out") throw error;
    await restore();
    return send(path, { ...options, token: await token() });
  }
}

/** A DynamoDB operation on /admin/dynamodb (DynamoDB's JSON, with its types). */
export function dynamodb(operation, input) {
  return api("/admin/dynamodb", {
    method: "POST",
    headers: { "X-Amz-Target": `DynamoDB_20120810.${operation}` },
    body: input,
  });
}

/** A DynamoDB Streams operation on /admin/dynamodb. */
export function streams(operation, input) {
  return api("/admin/dynamodb", {
    method: "POST",
    headers: { "X-Amz-Target": `DynamoDBStreams_20120810.${operation}` },
    body: input,
  });
}

/** A GraphQL operation as the signed-in admin: its data, or an ApiError for its first error. */
export async function graphql(query, variables = {}) {
  const { data: answer, requestId } = await api("/graphql", {
    method: "POST",
    body: { query, variables },
    withId: true,
  });
  if (answer.errors && answer.errors.length) {
    const first = answer.errors[0];
    const extensions = first.extensions || {};
    const code = extensions.code || "GRAPHQL";
    throw new ApiError(200, code, first.message, extensions.requestId || requestId);
  }
  return answer.data;
}

/** For GraphiQL: the fetcher sends the admin's token with each operation. */
export async function graphqlFetch(params) {
  return api("/graphql", { method: "POST", body: params });
}
