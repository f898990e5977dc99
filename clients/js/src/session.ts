/**
 * A signed-in session as the client keeps it, and where it keeps it.
 *
 * Two modes (see docs/client.md):
 * - `cookie`: the refresh token lives in the API's HttpOnly `baas_refresh` cookie, out of
 *   reach of scripts; the client keeps only the access token, in memory (tabs share new
 *   ones over a BroadcastChannel). What it persists is a marker that a cookie session
 *   exists, so a reloaded page knows to refresh through the cookie.
 * - `storage`: the refresh token is kept by the client, in a {@link TokenStore}
 *   (localStorage in browsers by default, memory elsewhere).
 */

/** The user as `/auth/signin` and `/auth/me` describe it. */
export interface User {
  id: string;
  email: string | null;
  email_verified?: boolean;
  groups: string[];
  anonymous?: boolean;
  [key: string]: unknown;
}

export interface Session {
  /** The bearer token for API requests (empty when only a cookie session is known). */
  accessToken: string;
  /** When the access token expires (ms since the epoch). */
  expiresAt: number;
  /** When the client refreshes it, a little before it expires (ms since the epoch). */
  refreshAt: number;
  /** The refresh token in storage mode; null when it is in the HttpOnly cookie. */
  refreshToken: string | null;
  user: User | null;
}

/** The body of a token response (`/auth/signin`, `/auth/token`, ...). */
export interface TokenResponse {
  access_token: string;
  token_type: string;
  expires_in: number;
  refresh_token?: string;
  user?: User;
}

/** Where a session is persisted (to survive a reload, and to be seen by other tabs). */
export interface TokenStore {
  load(): Session | null;
  save(session: Session | null): void;
}

/** A store in this process's memory (Node, tests, or a page that must forget on reload). */
export function memoryStore(): TokenStore {
  let kept: Session | null = null;
  return {
    load: () => kept,
    save: (session) => {
      kept = session;
    },
  };
}

/** A store in `localStorage` under `key` (shared by every tab of the origin). */
export function localStorageStore(key: string, storage: Storage = globalThis.localStorage): TokenStore {
  return {
    load: () => {
      const raw = storage.getItem(key);
      if (!raw) return null;
      try {
        return JSON.parse(raw) as Session;
      } catch {
        return null;
      }
    },
    save: (session) => {
      if (session === null) storage.removeItem(key);
      else storage.setItem(key, JSON.stringify(session));
    },
  };
}

/** The session a token response starts, refreshed `marginSeconds` before expiry (at most
 * half-way through the token's life, so a short-lived token is not refreshed at once). */
export function sessionOf(
  body: TokenResponse,
  previousUser: User | null,
  marginSeconds: number,
  now: number = Date.now(),
): Session {
  const life = body.expires_in * 1000;
  const margin = Math.min(marginSeconds * 1000, life / 2);
  return {
    accessToken: body.access_token,
    expiresAt: now + life,
    refreshAt: now + life - margin,
    refreshToken: body.refresh_token ?? null,
    user: body.user ?? previousUser,
  };
}

/** Whether the session's access token can be used as it is. */
export function isFresh(session: Session | null, now: number = Date.now()): session is Session {
  return session !== null && session.accessToken !== "" && now < session.refreshAt;
}

/** What cookie mode persists: the session without its access token. */
export function cookieMarker(session: Session): Session {
  return { ...session, accessToken: "", expiresAt: 0, refreshAt: 0, refreshToken: null };
}
