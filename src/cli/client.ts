/**
 * The HTTP side of the client commands: where the server is (`--addr`), which tenant
 * (`--tenant` → `X-Scope-OrgID`), and how failures read. The server answers errors with a
 * plain-text body (Loki's convention); that text is what the user sees, on one line.
 */
import { CliError, EXIT_FAILURE, EXIT_USAGE, UsageError } from './flags.js';

export const DEFAULT_ADDR = 'http://127.0.0.1:3100';

/** Flags every client command shares. */
export const CLIENT_FLAGS = {
  addr: {
    type: 'string',
    value: 'URL',
    env: 'LOGSTORE_ADDR',
    default: DEFAULT_ADDR,
    help: 'server address',
  },
  tenant: {
    type: 'string',
    value: 'ID',
    env: 'LOGSTORE_TENANT',
    help: 'tenant, sent as X-Scope-OrgID (needed when the server runs with auth enabled)',
  },
} as const;

/** Answers of the server that are not success. */
export class ServerError extends CliError {
  constructor(
    readonly status: number,
    text: string,
  ) {
    // A 4xx other than 429 says the request itself was wrong (bad LogQL, bad labels, missing
    // tenant); retrying cannot help, so scripts get the "bad input" code.
    super(
      status === 401 ? `${text} (the server runs with auth enabled: set --tenant or LOGSTORE_TENANT)` : text,
      status >= 400 && status < 500 && status !== 429 ? EXIT_USAGE : EXIT_FAILURE,
    );
  }
}

export interface ClientOptions {
  addr: string;
  tenant?: string;
}

export function parseAddr(addr: string): URL {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(addr) ? addr : `http://${addr}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new UsageError(`invalid --addr '${addr}': expected a URL such as ${DEFAULT_ADDR}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`invalid --addr '${addr}': only http and https are supported`);
  }
  return url;
}

/** Why a request never got an answer, in a form a user can act on. */
export function unreachable(base: URL, e: unknown): CliError {
  // fetch wraps the socket error in `cause`; ws reports it directly.
  const err = e as { code?: string; message?: string; cause?: { code?: string; message?: string } };
  const why = err.cause?.code ?? err.cause?.message ?? err.code ?? err.message;
  return new CliError(`cannot reach the server at ${base.origin} (${why}); is 'logstore serve' running there?`, EXIT_FAILURE);
}

/** First line of an error body, trimmed; the status text when the body is empty. */
export function errorText(status: number, body: string): string {
  const line = body.trim().split('\n')[0];
  return line || `HTTP ${status}`;
}

export class LokiClient {
  readonly base: URL;
  readonly tenant?: string;

  constructor(opts: ClientOptions) {
    this.base = parseAddr(opts.addr);
    this.tenant = opts.tenant;
  }

  headers(extra: Record<string, string> = {}): Record<string, string> {
    return this.tenant ? { 'X-Scope-OrgID': this.tenant, ...extra } : extra;
  }

  url(path: string, params?: URLSearchParams): URL {
    const u = new URL(path.replace(/^\//, ''), this.base.href.endsWith('/') ? this.base.href : `${this.base.href}/`);
    if (params) u.search = params.toString();
    return u;
  }

  /** GET a JSON endpoint; throws `ServerError` with the server's text on non-2xx. */
  async getJson<T>(path: string, params: URLSearchParams, headers: Record<string, string> = {}): Promise<T> {
    let res: Response;
    try {
      res = await fetch(this.url(path, params), { headers: this.headers(headers) });
    } catch (e) {
      throw unreachable(this.base, e);
    }
    const text = await res.text();
    if (!res.ok) throw new ServerError(res.status, errorText(res.status, text));
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new CliError(`the server at ${this.base.origin} did not answer with JSON; is it a Loki-compatible server?`, EXIT_FAILURE);
    }
  }
}
