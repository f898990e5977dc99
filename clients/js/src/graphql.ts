/**
 * GraphQL over HTTP (`POST /graphql`, docs/graphql.md) with the caller's bearer token.
 * A 401 (the token expired or was revoked between the check and the request) refreshes
 * the session once and sends the request again.
 */

import type { Auth } from "./auth.js";
import { BaasError, errorOf, GraphQLResponseError, type GraphQLErrorEntry } from "./errors.js";
import type { Http } from "./http.js";

/** A document: its text, or anything whose `toString()` is its text (a codegen
 * `TypedDocumentString`, a `graphql-tag` document printed by the app). The type
 * parameters carry the operation's result and variables types for inference. */
export type Document<TData = unknown, TVariables = Record<string, unknown>> =
  | string
  | (TypedDocumentLike<TData, TVariables> & { toString(): string });

/** The marker codegen's typed documents carry (`__apiType`); only its types matter. */
export interface TypedDocumentLike<TData, TVariables> {
  __apiType?: (variables: TVariables) => TData;
}

export interface GraphQLResult<TData> {
  data?: TData | null;
  errors?: GraphQLErrorEntry[];
  extensions?: Record<string, unknown>;
}

export interface RequestOptions {
  operationName?: string;
  signal?: AbortSignal;
  /** Extra headers (e.g. `X-Request-Id`). */
  headers?: Record<string, string>;
}

export class GraphQLHttp {
  constructor(
    private readonly http: Http,
    private readonly auth: Auth,
  ) {}

  /** Run a query or mutation and answer its `data`; any error in the answer (a field's
   * too) throws {@link GraphQLResponseError} carrying the errors and the partial data. */
  async request<TData = Record<string, unknown>, TVariables = Record<string, unknown>>(
    document: Document<TData, TVariables>,
    variables?: TVariables,
    options: RequestOptions = {},
  ): Promise<TData> {
    const result = await this.result<TData, TVariables>(document, variables, options);
    if (result.errors && result.errors.length > 0) {
      throw new GraphQLResponseError(result.errors, result.data ?? null);
    }
    return result.data as TData;
  }

  /** The whole answer, `data` beside `errors`, for apps that show partial data. */
  async result<TData = Record<string, unknown>, TVariables = Record<string, unknown>>(
    document: Document<TData, TVariables>,
    variables?: TVariables,
    options: RequestOptions = {},
  ): Promise<GraphQLResult<TData>> {
    const body = JSON.stringify({
      query: String(document),
      variables: variables ?? {},
      ...(options.operationName ? { operationName: options.operationName } : {}),
    });
    let token = await this.auth.getAccessToken();
    for (let attempt = 0; ; attempt++) {
      const headers: Record<string, string> = {
        "Content-Type": "application/json",
        Accept: "application/graphql-response+json, application/json",
        ...options.headers,
      };
      if (token) headers["Authorization"] = `Bearer ${token}`;
      const response = await this.http.fetch("/graphql", {
        method: "POST",
        headers,
        body,
        signal: options.signal,
      });
      if (response.status === 401 && token && attempt === 0) {
        token = await this.auth.getAccessToken({ rejected: token });
        continue;
      }
      const type = response.headers.get("Content-Type") ?? "";
      if (!type.includes("json")) throw await errorOf(response);
      const result = (await response.json()) as GraphQLResult<TData>;
      if (!response.ok && !result.errors) throw new BaasError(response.status, `http_${response.status}`, response.statusText);
      return result;
    }
  }
}
