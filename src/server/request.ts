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

/** Requests of one tenant that may wait for a slot (Loki's `max_outstanding_per_tenant` default). */
const MAX_QUEUED_PER_TENANT = 2048;

interface TenantSlots {
  running: number;
  /** Waiting requests, first come first served; each is started by handing it a slot. */
  queue: (() => void)[];
}

/**
 * Per-tenant query slots: at most `maxConcurrentQueries` run at once, the next ones wait their
 * turn (a dashboard's burst of panels is served, not refused), and only when `maxQueued` are
 * already waiting is a request refused with Loki's 429. A waiting request whose signal aborts
 * (timeout, client gone) leaves the queue.
 */
export class TenantConcurrency {
  private readonly tenants = new Map<string, TenantSlots>();

  constructor(private readonly maxQueued = MAX_QUEUED_PER_TENANT) {}

  async run<T>(tenant: string, limits: Limits, signal: AbortSignal, fn: () => Promise<T>): Promise<T> {
    let slots = this.tenants.get(tenant);
    if (!slots) this.tenants.set(tenant, (slots = { running: 0, queue: [] }));
    const max = limits.maxConcurrentQueries > 0 ? limits.maxConcurrentQueries : Infinity;
    if (slots.running < max) slots.running++;
    else {
      if (slots.queue.length >= this.maxQueued) throw new LokiError('too_many_requests', TOO_MANY_OUTSTANDING);
      await this.wait(slots, signal);
    }
    try {
      return await fn();
    } finally {
      this.release(tenant, slots);
    }
  }

  private wait(slots: TenantSlots, signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    return new Promise<void>((resolve, reject) => {
      const start = () => {
        signal.removeEventListener('abort', leave);
        resolve();
      };
      const leave = () => {
        const i = slots.queue.indexOf(start);
        if (i >= 0) slots.queue.splice(i, 1);
        reject(signal.reason);
      };
      slots.queue.push(start);
      signal.addEventListener('abort', leave, { once: true });
    });
  }

  /** Hands the slot to the next waiting request, or frees it. */
  private release(tenant: string, slots: TenantSlots): void {
    const next = slots.queue.shift();
    if (next) {
      next();
      return;
    }
    slots.running--;
    if (slots.running === 0) this.tenants.delete(tenant);
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
 * Runs one query of a tenant: it waits for a slot when `slots` are given, then runs with a
 * signal that aborts at the tenant's query timeout, counted from the start of execution (the
 * wait is bounded by the timeouts of the queries ahead), or when the client goes away, also
 * while waiting. A timed-out query answers 504 with Loki's text even if `fn` has not noticed.
 */
export async function runQuery<T>(
  req: FastifyRequest,
  q: { tenant: string; limits: Limits },
  fn: (signal: AbortSignal) => Promise<T>,
  slots?: TenantConcurrency,
): Promise<T> {
  const controller = new AbortController();
  const onClose = () => controller.abort(new LokiError('client_cancelled', 'the request was cancelled by the client'));
  req.raw.socket?.once('close', onClose);
  let timer: NodeJS.Timeout | undefined;
  const execute = () => {
    const timedOut = new Promise<never>((_, reject) => {
      if (q.limits.queryTimeoutMs <= 0) return;
      timer = setTimeout(() => {
        const timeout = new LokiError('timeout', QUERY_TIMEOUT_MESSAGE);
        controller.abort(timeout);
        reject(timeout);
      }, q.limits.queryTimeoutMs);
    });
    return Promise.race([fn(controller.signal), timedOut]);
  };
  try {
    return await (slots ? slots.run(q.tenant, q.limits, controller.signal, execute) : execute());
  } catch (e) {
    // An engine that noticed the abort reports it in its own words: answer with the reason.
    if (controller.signal.aborted && !(e instanceof LokiError && e.code !== 'internal')) throw controller.signal.reason;
    throw e;
  } finally {
    clearTimeout(timer);
    req.raw.socket?.off('close', onClose);
  }
}
