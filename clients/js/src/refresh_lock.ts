/**
 * One refresh at a time, across the tabs of a browser and within one process.
 *
 * A refresh token is replaced on every use, so two tabs refreshing with the same token at
 * once would race (the server tolerates one such race within 5 s, docs/auth.md "Two tabs,
 * one token", but a replay after that revokes the session). So:
 *
 * - in one process (a tab, or Node) concurrent callers share one in-flight promise;
 * - across tabs, the refresh runs under the Web Locks API (`navigator.locks`), where there
 *   is one. The tab holding the lock refreshes, then records a new *generation* on a
 *   {@link SharedBoard} (IndexedDB, consistent across tabs) and broadcasts the new session
 *   on a BroadcastChannel before it lets go. A tab that waited for the lock sees the
 *   generation moved while it waited and takes the session another tab got — from the
 *   board in storage mode, from the broadcast in cookie mode, where the access token is
 *   never written to storage — instead of sending a request of its own.
 */

import { SharedBoard } from "./shared_board.js";
import type { Session } from "./session.js";

interface LockManagerLike {
  request<T>(name: string, callback: () => Promise<T>): Promise<T>;
}

/** A message between tabs on the client's BroadcastChannel. */
export type TabMessage =
  | { type: "session"; generation: string; session: Session }
  | { type: "signed-out"; generation: string };

const BROADCAST_WAIT_MS = 3000;

export interface RefreshLockOptions {
  /** Names the lock, the channel and the board's record (one per API URL). */
  name: string;
  /** Whether the board may hold the session with its refresh token (storage mode, where
   * the session is in storage anyway); otherwise only the generation is written. */
  shareRefreshToken: boolean;
  /** Coordinate with other tabs (a session shared through the browser's storage or
   * cookie); false: only within this process. */
  acrossTabs: boolean;
  /** Called with what another tab broadcast (a new session, or a sign-out). */
  onMessage: (message: TabMessage) => void;
}

export class RefreshLock {
  private inflight: Promise<Session | null> | null = null;
  private readonly locks: LockManagerLike | null;
  private readonly channel: BroadcastChannel | null;
  private readonly board: SharedBoard<Session>;
  private readonly received = new Map<string, Session | null>();
  private readonly waiters = new Map<string, (session: Session | null) => void>();

  constructor(private readonly options: RefreshLockOptions) {
    const nav = (globalThis as { navigator?: { locks?: LockManagerLike } }).navigator;
    const tabs = options.acrossTabs;
    this.locks = tabs ? (nav?.locks ?? null) : null;
    this.board = new SharedBoard(`refresh:${options.name}`, tabs);
    this.channel =
      tabs && typeof BroadcastChannel === "function" ? new BroadcastChannel(`baas:${options.name}`) : null;
    // Node has BroadcastChannel too: it must not keep the process alive.
    (this.channel as { unref?: () => void } | null)?.unref?.();
    this.channel?.addEventListener("message", (event: MessageEvent<TabMessage>) => {
      const message = event.data;
      const session = message.type === "session" ? message.session : null;
      this.received.set(message.generation, session);
      this.waiters.get(message.generation)?.(session);
      this.waiters.delete(message.generation);
      options.onMessage(message);
    });
  }

  /** Run `refresh` unless another caller of this process, or another tab, is already
   * doing it: then answer what that one got. */
  run(refresh: () => Promise<Session>): Promise<Session | null> {
    if (this.inflight) return this.inflight;
    const attempt = async (): Promise<Session | null> => {
      const seen = (await this.board.read())?.generation ?? null;
      const once = async (): Promise<Session | null> => {
        const now = await this.board.read();
        if (now !== null && now.generation !== seen) {
          const other = now.value ?? (await this.broadcastOf(now.generation));
          if (other && other.accessToken) return other;
        }
        const session = await refresh();
        await this.publish({ type: "session", generation: newGeneration(), session });
        return session;
      };
      return this.locks ? this.locks.request(`baas-refresh:${this.options.name}`, once) : once();
    };
    this.inflight = attempt().finally(() => {
      this.inflight = null;
    });
    return this.inflight;
  }

  /** Tell the other tabs this one signed out. */
  async signedOut(): Promise<void> {
    await this.publish({ type: "signed-out", generation: newGeneration() });
  }

  close(): void {
    this.channel?.close();
  }

  private async publish(message: TabMessage): Promise<void> {
    const session = message.type === "session" ? message.session : null;
    const kept = session && !this.options.shareRefreshToken ? null : session;
    await this.board.write({ generation: message.generation, value: kept });
    // Other tabs never get the refresh token over the channel.
    this.channel?.postMessage(session ? { ...message, session: { ...session, refreshToken: null } } : message);
  }

  private broadcastOf(generation: string): Promise<Session | null> {
    if (this.received.has(generation)) return Promise.resolve(this.received.get(generation) ?? null);
    if (!this.channel) return Promise.resolve(null);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiters.delete(generation);
        resolve(null);
      }, BROADCAST_WAIT_MS);
      this.waiters.set(generation, (session) => {
        clearTimeout(timer);
        resolve(session);
      });
    });
  }
}

function newGeneration(): string {
  return `${Date.now().toString(36)}.${Math.random().toString(36).slice(2)}`;
}
