/**
 * Subscriptions over `graphql-ws` (the graphql-transport-ws protocol, docs/graphql.md).
 *
 * The token goes in `connection_init` (browsers cannot set headers on a WebSocket). The
 * server closes a connection with `4403` when its token expires or is revoked; graphql-ws
 * then reconnects and subscribes again, and this module makes that reconnect carry a
 * *fresh* token: after a 4403 the next `connection_init` refreshes the session first.
 * If the session has ended for good the refresh is refused and the subscriptions end with
 * that error rather than retrying.
 */

import { createClient, type Client, type Sink } from "graphql-ws";
import type { Auth } from "./auth.js";
import { GraphQLResponseError, type GraphQLErrorEntry } from "./errors.js";
import type { Document } from "./graphql.js";

/** The close code baas uses for a bad, expired or revoked token (baas/graphql/websocket.py). */
export const CLOSE_FORBIDDEN = 4403;

export interface SubscriptionOptions {
  /** A WebSocket class where there is no global one (Node 20 without
   * `--experimental-websocket`: pass `ws`'s). */
  webSocketImpl?: unknown;
  /** How many times to reconnect after a dropped connection (default 5). */
  retryAttempts?: number;
}

export interface Observer<T> {
  next: (value: T) => void;
  error?: (error: unknown) => void;
  complete?: () => void;
}

export class Subscriptions {
  private client: Client | null = null;
  private tokenRefused: string | null = null;

  constructor(
    private readonly wsUrl: string,
    private readonly auth: Auth,
    private readonly options: SubscriptionOptions = {},
  ) {}

  /** Subscribe; `observer.next` gets each event's `data`. Answers the unsubscribe. */
  subscribe<TData = Record<string, unknown>, TVariables = Record<string, unknown>>(
    document: Document<TData, TVariables>,
    variables: TVariables | undefined,
    observer: Observer<TData>,
  ): () => void {
    const sink: Sink<{ data?: unknown; errors?: readonly GraphQLErrorEntry[] }> = {
      next: (result) => {
        if (result.errors && result.errors.length > 0) {
          observer.error?.(new GraphQLResponseError(result.errors, result.data ?? null));
        } else {
          observer.next(result.data as TData);
        }
      },
      error: (error) => observer.error?.(errorOf(error)),
      complete: () => observer.complete?.(),
    };
    return this.connection().subscribe(
      { query: String(document), variables: (variables ?? {}) as Record<string, unknown> },
      sink as Sink,
    );
  }

  /** The events as an async iterator (`for await (const data of ...)`). */
  async *iterate<TData = Record<string, unknown>, TVariables = Record<string, unknown>>(
    document: Document<TData, TVariables>,
    variables?: TVariables,
  ): AsyncGenerator<TData> {
    const queue: TData[] = [];
    let failed: unknown = null;
    let done = false;
    let wake: (() => void) | null = null;
    const poke = () => {
      wake?.();
      wake = null;
    };
    const stop = this.subscribe(document, variables, {
      next: (data) => {
        queue.push(data);
        poke();
      },
      error: (error) => {
        failed = error;
        done = true;
        poke();
      },
      complete: () => {
        done = true;
        poke();
      },
    });
    try {
      for (;;) {
        if (queue.length > 0) {
          yield queue.shift() as TData;
        } else if (failed !== null) {
          throw failed;
        } else if (done) {
          return;
        } else {
          await new Promise<void>((resolve) => (wake = resolve));
        }
      }
    } finally {
      stop();
    }
  }

  /** Close the WebSocket (subscriptions end); the next subscribe opens a new one. */
  async close(): Promise<void> {
    const client = this.client;
    this.client = null;
    await client?.dispose();
  }

  private connection(): Client {
    if (this.client) return this.client;
    this.client = createClient({
      url: this.wsUrl,
      webSocketImpl: this.options.webSocketImpl,
      retryAttempts: this.options.retryAttempts ?? 5,
      lazy: true,
      connectionParams: async () => {
        const rejected = this.tokenRefused;
        this.tokenRefused = null;
        const token = await this.auth.getAccessToken(rejected ? { rejected } : {});
        this.lastToken = token;
        return token ? { authorization: `Bearer ${token}` } : {};
      },
      // A 4403 is answered at once with a fresh token; other drops back off.
      retryWait: async (retries) => {
        if (this.reconnectNow) {
          this.reconnectNow = false;
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, Math.min(1000 * 2 ** retries, 10_000)));
      },
      on: {
        closed: (event) => {
          const code = (event as { code?: number }).code;
          if (code === CLOSE_FORBIDDEN && this.lastToken) {
            this.tokenRefused = this.lastToken;
            this.reconnectNow = true;
          }
        },
      },
    });
    return this.client;
  }

  private lastToken: string | null = null;
  private reconnectNow = false;
}

/** graphql-ws reports errors as arrays of GraphQL errors or close events: one Error. */
function errorOf(error: unknown): unknown {
  if (Array.isArray(error)) return new GraphQLResponseError(error as GraphQLErrorEntry[], null);
  const close = error as { code?: number; reason?: string };
  if (close && typeof close.code === "number") {
    const wrapped = new Error(`WebSocket closed: ${close.code} ${close.reason ?? ""}`.trim());
    (wrapped as Error & { code: number }).code = close.code;
    return wrapped;
  }
  return error;
}
