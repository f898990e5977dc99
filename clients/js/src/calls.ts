/**
 * Calls: start a workflow or function registered with rules, follow its progress, get its
 * result (the GraphQL fields baas generates for them, docs/functions.md "From GraphQL").
 * A target named `ArchiveBoard` is started by `startArchiveBoard`.
 */

import type { GraphQLHttp } from "./graphql.js";
import type { Observer, Subscriptions } from "./subscriptions.js";

export type CallStatus =
  | "RUNNING"
  | "COMPLETED"
  | "FAILED"
  | "CANCELLED"
  | "TERMINATED"
  | "TIMED_OUT"
  | "CONTINUED_AS_NEW";

export interface Call<TResult = unknown> {
  id: string;
  target: string;
  status: CallStatus;
  /** The target's output (field names camelCased) once COMPLETED, else null. */
  result: TResult | null;
  /** Why the call did not complete, once it ended. */
  error: { code: string; message: string } | null;
}

export interface CallProgress<TProgress = unknown> {
  status: CallStatus;
  /** The workflow's `progress` query answer while it runs (null without one). */
  progress: TProgress | null;
}

const CALL = "id target status result error { code message }";

export class Calls {
  constructor(
    private readonly graphql: GraphQLHttp,
    private readonly subscriptions: Subscriptions,
  ) {}

  /** Start `target` with `input` (its dataclass as JSON). With `wait`, the answer comes
   * when the call ends (or after 30 s, still RUNNING); `idempotencyKey` makes a retry
   * answer the same call instead of starting another. */
  async start<TResult = unknown, TInput = Record<string, unknown>>(
    target: string,
    input: TInput,
    options: { idempotencyKey?: string; wait?: boolean } = {},
  ): Promise<Call<TResult>> {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(target)) throw new Error(`not a call target: ${target}`);
    const field = `start${target}`;
    const data = await this.graphql.request<Record<string, Call<TResult>>>(
      `mutation Start($input: JSON!, $key: String, $wait: Boolean!) {
        ${field}(input: $input, idempotencyKey: $key, wait: $wait) { ${CALL} }
      }`,
      { input, key: options.idempotencyKey ?? null, wait: options.wait ?? false },
    );
    return data[field] as Call<TResult>;
  }

  /** The call now (null if there is none, or it is not yours). */
  async get<TResult = unknown>(id: string): Promise<Call<TResult> | null> {
    const data = await this.graphql.request<{ call: Call<TResult> | null }>(
      `query Call($id: ID!) { call(id: $id) { ${CALL} } }`,
      { id },
    );
    return data.call;
  }

  /** Each change of the call's status and progress, until it ends (`complete`). */
  follow<TProgress = unknown>(id: string, observer: Observer<CallProgress<TProgress>>): () => void {
    return this.subscriptions.subscribe<{ onCallProgress: CallProgress<TProgress> }>(
      `subscription Progress($id: ID!) { onCallProgress(id: $id) { status progress } }`,
      { id },
      {
        next: (data) => observer.next(data.onCallProgress),
        error: observer.error,
        complete: observer.complete,
      },
    );
  }

  /** The call once it has ended, with its result or error; `onProgress` sees the way there. */
  result<TResult = unknown, TProgress = unknown>(
    id: string,
    onProgress?: (progress: CallProgress<TProgress>) => void,
  ): Promise<Call<TResult>> {
    return new Promise((resolve, reject) => {
      this.follow<TProgress>(id, {
        next: (progress) => onProgress?.(progress),
        error: reject,
        complete: () => {
          this.get<TResult>(id).then((call) => {
            if (call === null) reject(new Error(`call ${id} not found`));
            else resolve(call);
          }, reject);
        },
      });
    });
  }

  /** Approve (or reject) a call waiting for an approval, under the target's rules. */
  async approve(id: string, approved: boolean, comment?: string): Promise<Call> {
    const data = await this.graphql.request<{ approveCall: Call }>(
      `mutation Approve($id: ID!, $approved: Boolean!, $comment: String) {
        approveCall(id: $id, approved: $approved, comment: $comment) { ${CALL} }
      }`,
      { id, approved, comment: comment ?? null },
    );
    return data.approveCall;
  }

  async cancel(id: string): Promise<Call> {
    const data = await this.graphql.request<{ cancelCall: Call }>(
      `mutation Cancel($id: ID!) { cancelCall(id: $id) { ${CALL} } }`,
      { id },
    );
    return data.cancelCall;
  }

  async signal(id: string, name: string, payload?: unknown): Promise<Call> {
    const data = await this.graphql.request<{ signalCall: Call }>(
      `mutation Signal($id: ID!, $name: String!, $payload: JSON) {
        signalCall(id: $id, name: $name, payload: $payload) { ${CALL} }
      }`,
      { id, name, payload: payload ?? null },
    );
    return data.signalCall;
  }

  /** The calls you started, newest first, a page at a time. */
  async mine(options: { limit?: number; nextToken?: string } = {}): Promise<{ items: Call[]; nextToken: string | null }> {
    const data = await this.graphql.request<{ myCalls: { items: Call[]; nextToken: string | null } }>(
      `query Mine($limit: Int!, $next: String) { myCalls(limit: $limit, nextToken: $next) { items { ${CALL} } nextToken } }`,
      { limit: options.limit ?? 20, next: options.nextToken ?? null },
    );
    return data.myCalls;
  }
}
