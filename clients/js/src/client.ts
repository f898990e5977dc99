/** `createClient`: one object for an app's use of baas (auth, GraphQL, subscriptions, calls). */

import { Auth, type AuthOptions } from "./auth.js";
import { Calls } from "./calls.js";
import { GraphQLHttp, type Document, type GraphQLResult, type RequestOptions } from "./graphql.js";
import { Http, type FetchLike } from "./http.js";
import { Subscriptions, type Observer, type SubscriptionOptions } from "./subscriptions.js";

export interface ClientOptions extends AuthOptions, SubscriptionOptions {
  /** The API's base URL, e.g. `http://127.0.0.1:8000` (GraphQL at `<url>/graphql`). */
  url: string;
  /** A fetch implementation (default: the global one). */
  fetch?: FetchLike;
}

export interface BaasClient {
  readonly auth: Auth;
  readonly calls: Calls;
  /** Run a query or mutation with the session's token; answers `data`, throws on errors. */
  graphql<TData = Record<string, unknown>, TVariables = Record<string, unknown>>(
    document: Document<TData, TVariables>,
    variables?: TVariables,
    options?: RequestOptions,
  ): Promise<TData>;
  /** The whole GraphQL answer (`data` and `errors`), never throwing on GraphQL errors. */
  graphqlResult<TData = Record<string, unknown>, TVariables = Record<string, unknown>>(
    document: Document<TData, TVariables>,
    variables?: TVariables,
    options?: RequestOptions,
  ): Promise<GraphQLResult<TData>>;
  /** Subscribe over the WebSocket; answers the unsubscribe. */
  subscribe<TData = Record<string, unknown>, TVariables = Record<string, unknown>>(
    document: Document<TData, TVariables>,
    variables: TVariables | undefined,
    observer: Observer<TData>,
  ): () => void;
  /** A subscription's events as an async iterator. */
  iterate<TData = Record<string, unknown>, TVariables = Record<string, unknown>>(
    document: Document<TData, TVariables>,
    variables?: TVariables,
  ): AsyncGenerator<TData>;
  /** An API request with the session's bearer token (refreshed once on a 401). */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /** Close the WebSocket and stop listening to other tabs. */
  close(): Promise<void>;
}

export function createClient(options: ClientOptions): BaasClient {
  const url = options.url.replace(/\/+$/, "");
  const fetchImpl = options.fetch ?? ((input: string, init?: RequestInit) => globalThis.fetch(input, init));
  const http = new Http(url, fetchImpl);
  const auth = new Auth(http, options);
  const graphql = new GraphQLHttp(http, auth);
  const wsUrl = url.replace(/^http/, "ws") + "/graphql";
  const subscriptions = new Subscriptions(wsUrl, auth, options);
  const calls = new Calls(graphql, subscriptions);

  async function authorizedFetch(path: string, init: RequestInit = {}): Promise<Response> {
    let token = await auth.getAccessToken();
    for (let attempt = 0; ; attempt++) {
      const headers = new Headers(init.headers);
      if (token) headers.set("Authorization", `Bearer ${token}`);
      const response = await http.fetch(path, { ...init, headers });
      if (response.status !== 401 || !token || attempt > 0) return response;
      token = await auth.getAccessToken({ rejected: token });
    }
  }

  return {
    auth,
    calls,
    graphql: (document, variables, requestOptions) => graphql.request(document, variables, requestOptions),
    graphqlResult: (document, variables, requestOptions) => graphql.result(document, variables, requestOptions),
    subscribe: (document, variables, observer) => subscriptions.subscribe(document, variables, observer),
    iterate: (document, variables) => subscriptions.iterate(document, variables),
    fetch: authorizedFetch,
    close: async () => {
      auth.close();
      await subscriptions.close();
    },
  };
}
