/**
 * Managed auth from an app: sign-up, verification, sign-in (with the MFA step surfaced),
 * anonymous and social sign-in, sign-out, and the access token kept fresh — refreshed a
 * little before it expires and once after a 401, one refresh at a time across tabs.
 * The routes are baas's `/auth/*` (docs/auth.md); this class only calls them.
 */

import { BaasError } from "./errors.js";
import type { Http } from "./http.js";
import { RefreshLock, type TabMessage } from "./refresh_lock.js";
import {
  cookieMarker,
  isFresh,
  localStorageStore,
  memoryStore,
  sessionOf,
  type Session,
  type TokenResponse,
  type TokenStore,
  type User,
} from "./session.js";

/** `cookie`: the refresh token stays in the API's HttpOnly cookie (browser apps).
 * `storage`: the client keeps it in its {@link TokenStore}. */
export type AuthMode = "cookie" | "storage";

export interface AuthOptions {
  mode?: AuthMode;
  /** Where the session is kept; default localStorage in browsers, else memory. */
  store?: TokenStore;
  /** Refresh this many seconds before the access token expires (default 30). */
  refreshMarginSeconds?: number;
  /** Share refreshes and sign-outs with the other tabs of the origin (Web Locks,
   * IndexedDB, BroadcastChannel). Default: in a browser, in cookie mode or with the
   * default localStorage store — where the tabs share one session. */
  acrossTabs?: boolean;
}

/** Sign-in is complete: the client holds a session for `user`. */
export interface SignedIn {
  status: "signed-in";
  user: User | null;
}

/** The password (or social login) was right, and the account has a second factor:
 * complete with {@link Auth.verifyMfa} within `expiresIn` seconds. With `enrol` the user
 * must first set one up (`/auth/mfa/totp/enrol` with the MFA token, docs/auth.md). */
export interface MfaChallenge {
  status: "mfa-required";
  mfaToken: string;
  factors: string[];
  enrol: boolean;
  expiresIn: number;
}

export type SignInResult = SignedIn | MfaChallenge;

interface MfaBody {
  mfa_required: true;
  mfa_token: string;
  factors?: string[];
  enrol?: boolean;
  expires_in?: number;
}

type Listener = (user: User | null) => void;

export class Auth {
  readonly mode: AuthMode;
  private session: Session | null;
  private readonly store: TokenStore;
  private readonly margin: number;
  private readonly lock: RefreshLock;
  private readonly listeners = new Set<Listener>();

  constructor(
    private readonly http: Http,
    options: AuthOptions = {},
  ) {
    this.mode = options.mode ?? "storage";
    this.margin = options.refreshMarginSeconds ?? 30;
    const name = http.baseUrl;
    this.store = options.store ?? defaultStore(`baas:${name}:session`);
    this.session = this.store.load();
    const browser = hasLocalStorage();
    this.lock = new RefreshLock({
      name,
      acrossTabs: options.acrossTabs ?? (browser && (this.mode === "cookie" || !options.store)),
      shareRefreshToken: this.mode === "storage",
      onMessage: (message) => this.fromOtherTab(message),
    });
  }

  /** The signed-in user as last seen (null when signed out). */
  get user(): User | null {
    this.syncFromStore();
    return this.session?.user ?? null;
  }

  /** Whether a session is held (its access token may need a refresh first). */
  get signedIn(): boolean {
    this.syncFromStore();
    return this.session !== null;
  }

  /** Call `listener` whenever the user signs in or out (in this tab or another). */
  onChange(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** `POST /auth/signup`: always "accepted" (no enumeration); a code goes by mail. */
  signUp(input: { email: string; password: string }): Promise<{ status: string; message: string }> {
    return this.http.json("/auth/signup", { ...input });
  }

  /** `POST /auth/verify-email` with the mailed code and the sign-up's password. */
  verifyEmail(input: { email: string; code: string; password: string }): Promise<{ email_verified: boolean; user: User }> {
    return this.http.json("/auth/verify-email", { ...input });
  }

  resendVerification(input: { email: string }): Promise<{ status: string }> {
    return this.http.json("/auth/verify-email/resend", { ...input });
  }

  /** `POST /auth/signin`: signed in, or an {@link MfaChallenge} to complete. */
  async signIn(input: { email: string; password: string }): Promise<SignInResult> {
    return this.started(await this.http.json("/auth/signin", { ...input, ...this.cookieFlag() }));
  }

  /** Complete a sign-in with the second factor: a TOTP code or a recovery code. */
  async verifyMfa(input: { mfaToken: string; code: string }): Promise<SignedIn> {
    const body = { mfa_token: input.mfaToken, code: input.code, ...this.cookieFlag() };
    return (await this.started(await this.http.json("/auth/mfa/verify", body))) as SignedIn;
  }

  /** `POST /auth/anonymous`: a user without email, upgradable later (`/auth/upgrade`). */
  async signInAnonymously(): Promise<SignedIn> {
    return (await this.started(await this.http.json("/auth/anonymous", this.cookieFlag()))) as SignedIn;
  }

  /** The URL that starts a social sign-in with `provider` (a name of `/auth/oauth/providers`). */
  socialSignInUrl(provider: string): string {
    return this.http.url(`/auth/oauth/${encodeURIComponent(provider)}/start`);
  }

  /** Send the browser to the provider. It comes back to `BAAS_AUTH_OAUTH_REDIRECT`
   * (a page of the app), which calls {@link finishSocialSignIn}. */
  signInWithProvider(provider: string): void {
    globalThis.location.assign(this.socialSignInUrl(provider));
  }

  /**
   * On the page the provider's round trip ends on: the API left the session's refresh
   * token in its cookie (no token in the URL), or, for an account with a second factor,
   * the MFA step in the fragment (`mfa_token`, `factors`, `enrol`, `expires_in`: what
   * `/auth/signin` answers in JSON), to complete with {@link verifyMfa}. Answers the
   * sign-in, or null when the page was not reached that way (no cookie session). The
   * fragment is removed from the address bar.
   */
  async finishSocialSignIn(href: string = globalThis.location.href): Promise<SignInResult | null> {
    const challenge = mfaChallengeOf(new URL(href).hash);
    if (challenge) {
      const history = (globalThis as { history?: History }).history;
      history?.replaceState(null, "", href.split("#")[0]);
      return challenge;
    }
    try {
      const tokens = await this.http.json<TokenResponse>("/auth/token", { grant_type: "refresh_token" });
      this.keep(sessionOf(tokens, null, this.margin));
      const user = await this.me();
      this.keep({ ...(this.session as Session), user });
      return { status: "signed-in", user };
    } catch (error) {
      if (error instanceof BaasError && error.status === 400) return null;
      throw error;
    }
  }

  /** `POST /auth/password/change`: the other sessions end; this one goes on with new tokens. */
  async changePassword(input: { currentPassword: string; newPassword: string; mfaCode?: string }): Promise<void> {
    const body: Record<string, unknown> = {
      current_password: input.currentPassword,
      new_password: input.newPassword,
      ...this.cookieFlag(),
    };
    if (input.mfaCode) body["mfa_code"] = input.mfaCode;
    const token = await this.getAccessToken();
    const tokens = await this.http.json<TokenResponse>("/auth/password/change", body, { token: token ?? undefined });
    this.keep(sessionOf(tokens, this.session?.user ?? null, this.margin));
  }

  /** `GET /auth/me`: the signed-in user, fresh from the server. */
  async me(): Promise<User> {
    const token = await this.getAccessToken();
    return this.http.json<User>("/auth/me", undefined, { token: token ?? undefined });
  }

  /** End this session on the server (its refresh token stops working, its access tokens
   * are refused) and forget it here and in the other tabs. */
  async signOut(): Promise<void> {
    this.syncFromStore();
    const refreshToken = this.session?.refreshToken;
    try {
      await this.http.json("/auth/signout", refreshToken ? { refresh_token: refreshToken } : {});
    } catch (error) {
      // 400: the session had already ended (or there was no cookie): nothing to end.
      if (!(error instanceof BaasError && error.status === 400)) throw error;
    } finally {
      this.forget();
    }
  }

  /** `POST /auth/signout-all`: every session of the user ends. */
  async signOutEverywhere(): Promise<void> {
    const token = await this.getAccessToken();
    try {
      await this.http.json("/auth/signout-all", {}, { token: token ?? undefined });
    } finally {
      this.forget();
    }
  }

  /**
   * A usable access token, refreshed first when it is about to expire; null when signed
   * out. With `rejected`, the token the server just refused (a 401): a newer one if
   * another caller already refreshed, else a refresh.
   */
  async getAccessToken(options: { rejected?: string } = {}): Promise<string | null> {
    this.syncFromStore();
    const session = this.session;
    if (session === null) return null;
    const stale = options.rejected !== undefined && session.accessToken === options.rejected;
    if (!stale && isFresh(session)) return session.accessToken;
    return (await this.refresh())?.accessToken ?? null;
  }

  /** Rotate the refresh token now (one request across tabs, see refresh_lock.ts). A
   * refused refresh (the session ended) signs out here and throws `invalid_grant`. */
  async refresh(): Promise<Session | null> {
    const got = await this.lock.run(() => this.refreshNow());
    if (got && got !== this.session) this.keep(got);
    return this.session;
  }

  /** Stop listening to other tabs. */
  close(): void {
    this.lock.close();
  }

  private async refreshNow(): Promise<Session> {
    this.syncFromStore();
    const current = this.session;
    const body: Record<string, unknown> = { grant_type: "refresh_token" };
    if (current?.refreshToken) body["refresh_token"] = current.refreshToken;
    let tokens: TokenResponse;
    try {
      tokens = await this.http.json<TokenResponse>("/auth/token", body);
    } catch (error) {
      if (error instanceof BaasError && error.status === 400) {
        // Refused: the session refreshed has ended. A newer one kept meanwhile (a
        // password change answers one, and revokes the older: its socket's 4403 can
        // start this refresh before that answer arrives) is not the one that ended.
        this.syncFromStore();
        if (this.session !== current && this.session !== null) return this.session;
        this.forget();
      }
      throw error;
    }
    this.syncFromStore();
    if (this.session !== current && this.session !== null) return this.session; // newer
    const session = sessionOf(tokens, current?.user ?? null, this.margin);
    this.keep(session);
    return session;
  }

  private started(body: TokenResponse | MfaBody): SignInResult {
    if ("mfa_required" in body && body.mfa_required) {
      return {
        status: "mfa-required",
        mfaToken: body.mfa_token,
        factors: body.factors ?? [],
        enrol: body.enrol ?? false,
        expiresIn: body.expires_in ?? 300,
      };
    }
    const session = sessionOf(body as TokenResponse, null, this.margin);
    this.keep(session);
    return { status: "signed-in", user: session.user };
  }

  private cookieFlag(): Record<string, unknown> {
    return this.mode === "cookie" ? { cookie: true } : {};
  }

  private keep(session: Session, options: { persist?: boolean } = {}): void {
    const before = this.session?.user?.id ?? null;
    this.session = session;
    if (options.persist !== false) {
      this.store.save(session.refreshToken === null ? cookieMarker(session) : session);
    }
    if ((session.user?.id ?? null) !== before) this.emit();
  }

  private forget(): void {
    const had = this.session !== null;
    this.session = null;
    this.store.save(null);
    void this.lock.signedOut();
    if (had) this.emit();
  }

  /** Storage mode: the store is shared with the other tabs (one may have refreshed or
   * signed out). Another tab's write may reach this one late, so an older session than
   * the one held is not taken back. */
  private syncFromStore(): void {
    if (this.mode !== "storage") return;
    const stored = this.store.load();
    if (stored?.refreshToken === this.session?.refreshToken) return;
    if (stored && this.session && stored.expiresAt < this.session.expiresAt) return;
    const before = this.session?.user?.id ?? null;
    this.session = stored;
    if ((stored?.user?.id ?? null) !== before) this.emit();
  }

  private fromOtherTab(message: TabMessage): void {
    if (message.type === "signed-out") {
      const had = this.session !== null;
      this.session = null;
      if (had) this.emit();
    } else if (this.mode === "storage") {
      this.syncFromStore();
    } else {
      this.keep(message.session, { persist: false });
    }
  }

  private emit(): void {
    const user = this.session?.user ?? null;
    for (const listener of this.listeners) listener(user);
  }
}

/** The MFA step a social sign-in's redirect put in the page's fragment, if any. */
function mfaChallengeOf(hash: string): MfaChallenge | null {
  const fragment = new URLSearchParams(hash.replace(/^#/, ""));
  const mfaToken = fragment.get("mfa_token");
  if (!mfaToken) return null;
  const expiresIn = Number(fragment.get("expires_in"));
  return {
    status: "mfa-required",
    mfaToken,
    factors: (fragment.get("factors") ?? "").split(",").filter((factor) => factor !== ""),
    enrol: fragment.get("enrol") === "true",
    expiresIn: Number.isFinite(expiresIn) && expiresIn > 0 ? expiresIn : 300,
  };
}

function defaultStore(key: string): TokenStore {
  return hasLocalStorage() ? localStorageStore(key) : memoryStore();
}

function hasLocalStorage(): boolean {
  try {
    return typeof globalThis.localStorage !== "undefined" && globalThis.localStorage !== null;
  } catch {
    return false; // a sandboxed page may refuse access to storage
  }
}
