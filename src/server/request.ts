/**
 * What every query and metadata endpoint does before and around its work: resolve the tenant,
 * read the form, check the time-range limit, bound the tenant's concurrent queries and stop a
 * query at the tenant's timeout (504 with Loki's text).
 */
import type { FastifyRequest } from 'fastify';
import {
  type Limits, type Nanos, LokiError, NS_PER_MS, QUERY_TIMEOUT_MESSAGE, formatGoDuration,
  formatPromDuration,
} from '../core/index.js';
import { type Config, limitsFor } from '../config/index.js';
import { singleTenant } from '../distributor/index.js';
import { type Form, requestForm } from './params.js';

export interface QueryRequest {
  tenant: string;
  limits: Limits;
  form: Form;
}

/**
 * The tenant (401 `no org id` without the header when auth is on; several tenants are
 * refused with Loki's text, as Loki does while multi-tenant queries are off), its limits and
 * the request's parameters.
 */
export function queryRequest(req: FastifyRequest, config: Config): QueryRequest {
  const tenant = singleTenant(req.headers['x-scope-orgid'], { enabled: config.authEnabled, noAuthTenant: config.noAuthTenant });
  return { tenant, limits: limitsFor(config, tenant), form: requestForm(req) };
}

/** `max_query_length`: Loki's 400 when `end - start` exceeds it (0 disables the check). */
export function checkQueryLength(limits: Limits, start: Nanos, end: Nanos): void {
  if (limits.maxQueryLengthMs <= 0) return;
  const max = BigInt(limits.maxQueryLengthMs) * NS_PER_MS;
  const length = end - start;
  if (length > max) {
    throw new LokiError(
      'limit_exceeded',
      `the query time range exceeds the limit (query length: ${formatGoDuration(length)}, limit: ${formatPromDuration(max)})`,
    );
  }
}

export const TOO_MANY_OUTSTANDING = 'too many outstanding requests';

/**
 * Per-tenant count of running queries: beyond `maxConcurrentQueries` a request is refused
 * with 429 at once, as Loki's queue does when a tenant's share is full (clients retry).
 */
export class TenantConcurrency {
  private readonly running = new Map<string, number>();

  async run<T>(tenant: string, limits: Limits, fn: () => Promise<T>): Promise<T> {
    const n = this.running.get(tenant) ?? 0;
    if (limits.maxConcurrentQueries > 0 && n >= limits.maxConcurrentQueries) {
      throw new LokiError('too_many_requests', TOO_MANY_OUTSTANDING);
    }
    this.running.set(tenant, n + 1);
    try {
      return await fn();
    } finally {
      const left = (this.running.get(tenant) ?? 1) - 1;
      if (left === 0) this.running.delete(tenant);
      else this.running.set(tenant, left);
    }
  }
}

const concurrencyByServer = new WeakMap<object, TenantConcurrency>();

/** The one concurrency count of a server, shared by its query and metadata routes. */
export function serverConcurrency(app: object): TenantConcurrency {
  let c = concurrencyByServer.get(app);
  if (!c) concurrencyByServer.set(app, (c = new TenantConcurrency()));
  return c;
}

/**
 * Runs `fn` with a signal that aborts at the tenant's query timeout or when the client goes
 * away. A timed-out query answers 504 with Loki's text even if `fn` has not noticed yet.
 */
export async function withQueryTimeout<T>(
  req: FastifyRequest,
  limits: Limits,
  fn: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  const timeoutError = new LokiError('timeout', QUERY_TIMEOUT_MESSAGE);
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    if (limits.queryTimeoutMs > 0) {
      timer = setTimeout(() => {
        controller.abort(timeoutError);
        reject(timeoutError);
      }, limits.queryTimeoutMs);
    }
  });
  const onClose = () => controller.abort(new LokiError('client_cancelled', 'the request was cancelled by the client'));
  req.raw.socket?.once('close', onClose);
  try {
    return await Promise.race([fn(controller.signal), timedOut]);
  } catch (e) {
    // An engine that noticed the abort reports it in its own words: answer with the reason.
    if (controller.signal.aborted && !(e instanceof LokiError && e.code !== 'internal')) throw controller.signal.reason;
    throw e;
  } finally {
    clearTimeout(timer);
    req.raw.socket?.off('close', onClose);
  }
}
