/**
 * `@baas/client`: the typed TypeScript client of baas. See docs/client.md.
 *
 * ```ts
 * import { createClient } from "@baas/client";
 * const baas = createClient({ url: "http://127.0.0.1:8000", mode: "cookie" });
 * await baas.auth.signIn({ email, password });
 * const data = await baas.graphql("query { viewer { userId } }");
 * ```
 */

export { Auth, type AuthMode, type AuthOptions, type MfaChallenge, type SignedIn, type SignInResult } from "./auth.js";
export { Calls, type Call, type CallProgress, type CallStatus } from "./calls.js";
export { createClient, type BaasClient, type ClientOptions } from "./client.js";
export { BaasError, GraphQLResponseError, type GraphQLErrorEntry } from "./errors.js";
export type { Document, GraphQLResult, RequestOptions, TypedDocumentLike } from "./graphql.js";
export type { FetchLike } from "./http.js";
export { localStorageStore, memoryStore, type Session, type TokenResponse, type TokenStore, type User } from "./session.js";
export { CLOSE_FORBIDDEN, type Observer, type SubscriptionOptions } from "./subscriptions.js";
