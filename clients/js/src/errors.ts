/**
 * The errors the client throws. Every baas route answers errors in one shape
 * (`{"error": {"code", "message", "request_id"}}`, see docs/auth.md), GraphQL in its own
 * (`{"errors": [{"message", "path", "extensions": {"code"}}]}`, see docs/graphql.md); both
 * keep the server's stable `code` so an app can switch on it.
 */

/** A refusal of an HTTP route (`/auth/*`): its status, stable code and safe message. */
export class BaasError extends Error {
  override readonly name = "BaasError";

  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly requestId?: string,
  ) {
    super(message);
  }
}

/** One GraphQL error as the server sends it. */
export interface GraphQLErrorEntry {
  message: string;
  path?: ReadonlyArray<string | number>;
  locations?: ReadonlyArray<{ line: number; column: number }>;
  extensions?: { code?: string; [key: string]: unknown };
}

/** A GraphQL answer with errors: `errors` as sent, and the partial `data` if there was any. */
export class GraphQLResponseError extends Error {
  override readonly name = "GraphQLResponseError";

  constructor(
    readonly errors: ReadonlyArray<GraphQLErrorEntry>,
    readonly data: unknown,
  ) {
    super(errors.map((e) => e.message).join("; ") || "GraphQL request failed");
  }

  /** The `extensions.code` of the first error (e.g. `FORBIDDEN`, `NOT_FOUND`). */
  get code(): string | undefined {
    return this.errors[0]?.extensions?.code;
  }
}

/** Read a failed HTTP answer into a {@link BaasError}, whatever its body. */
export async function errorOf(response: Response): Promise<BaasError> {
  let body: unknown = null;
  try {
    body = await response.json();
  } catch {
    // not JSON: keep the status alone
  }
  const error = (body as { error?: { code?: string; message?: string; request_id?: string } })
    ?.error;
  if (error && typeof error.code === "string") {
    return new BaasError(response.status, error.code, error.message ?? error.code, error.request_id);
  }
  const errors = (body as { errors?: GraphQLErrorEntry[] })?.errors;
  if (Array.isArray(errors) && errors.length > 0) {
    const code = String(errors[0]?.extensions?.code ?? "http_" + response.status);
    return new BaasError(response.status, code, errors[0]?.message ?? code);
  }
  return new BaasError(response.status, `http_${response.status}`, response.statusText || "Request failed");
}
