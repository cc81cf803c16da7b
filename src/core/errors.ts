/**
 * The one error vocabulary of the project. Every error a client can cause is a `LokiError`
 * with a stable code; `HTTP_STATUS` maps codes to status codes in this one place, and the
 * server's single error handler uses it. Messages follow Loki's texts because clients and
 * dashboards show them to users.
 */
export const HTTP_STATUS = {
  /** Bad parameter, bad body, or anything else the client must fix. */
  bad_request: 400,
  /** Push label string that does not parse. */
  bad_labels: 400,
  /** LogQL that does not parse or validate. */
  parse_error: 400,
  /** Push entries refused by validation (the valid ones of the request are stored). */
  validation: 400,
  /** A query or push limit (max entries, series, query length, ...) was exceeded. */
  limit_exceeded: 400,
  /** Missing tenant header while auth is enabled. */
  no_org_id: 401,
  not_found: 404,
  /** Push body larger than the configured maximum. */
  body_too_large: 413,
  /** A push with no stream at all. */
  empty_push: 422,
  /** Tenant or per-stream ingestion rate limit; clients retry. */
  rate_limited: 429,
  /** Too many concurrent queries for a tenant; clients retry. */
  too_many_requests: 429,
  client_cancelled: 499,
  internal: 500,
  /** Stored data failed its checksum: reported, never answered with wrong lines. */
  corrupt_data: 500,
  unavailable: 503,
  timeout: 504,
} as const;

export type ErrorCode = keyof typeof HTTP_STATUS;

export class LokiError extends Error {
  readonly code: ErrorCode;
  /** Overrides the status of the code where Loki varies it (e.g. per-stream push failures). */
  readonly statusOverride?: number;

  constructor(code: ErrorCode, message: string, statusOverride?: number) {
    super(message);
    this.name = 'LokiError';
    this.code = code;
    this.statusOverride = statusOverride;
  }

  get status(): number {
    return this.statusOverride ?? HTTP_STATUS[this.code];
  }
}

export function isLokiError(e: unknown): e is LokiError {
  return e instanceof LokiError;
}

export const QUERY_TIMEOUT_MESSAGE =
  'request timed out, decrease the duration of the request or add more label matchers ' +
  '(prefer exact match over regex match) to reduce the amount of data processed';
