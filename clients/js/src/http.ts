/** JSON over HTTP to the API: one place for the base URL, `fetch` and error reading. */

import { errorOf } from "./errors.js";

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

export class Http {
  constructor(
    /** The API's base URL, without a trailing slash (`http://127.0.0.1:8000`). */
    readonly baseUrl: string,
    private readonly fetchImpl: FetchLike,
  ) {}

  url(path: string): string {
    return this.baseUrl + path;
  }

  /** A raw request. `/auth` requests carry cookies also to an API on another origin:
   * the refresh cookie (cookie mode, and the session a social sign-in leaves). */
  fetch(path: string, init: RequestInit = {}): Promise<Response> {
    const credentials: RequestCredentials = path.startsWith("/auth") ? "include" : "same-origin";
    return this.fetchImpl(this.url(path), { credentials, ...init });
  }

  /** POST a JSON body (or GET without one) and read the JSON answer; a refusal throws
   * {@link BaasError}. 204 answers `null`. */
  async json<T>(
    path: string,
    body?: Record<string, unknown>,
    options: { token?: string; method?: string } = {},
  ): Promise<T> {
    const headers: Record<string, string> = { Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (options.token) headers["Authorization"] = `Bearer ${options.token}`;
    const response = await this.fetch(path, {
      method: options.method ?? (body === undefined ? "GET" : "POST"),
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok) throw await errorOf(response);
    if (response.status === 204) return null as T;
    return (await response.json()) as T;
  }
}
