import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS, LokiError } from '../../src/core/index.js';
import { TOO_MANY_OUTSTANDING, TenantConcurrency } from '../../src/server/request.js';

const limits = { ...DEFAULT_LIMITS, maxConcurrentQueries: 1 };

/** A task that finishes when told to. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  return { open, task: () => opened };
}

describe('TenantConcurrency', () => {
  it('runs one at a time per tenant in arrival order; other tenants are independent', async () => {
    const c = new TenantConcurrency(10);
    const order: string[] = [];
    const first = gate();
    const signal = new AbortController().signal;
    const a = c.run('t', limits, signal, async () => { order.push('a start'); await first.task(); order.push('a end'); });
    const b = c.run('t', limits, signal, async () => { order.push('b'); });
    const d = c.run('t', limits, signal, async () => { order.push('d'); });
    await c.run('u', limits, signal, async () => { order.push('other tenant'); });
    expect(order).toEqual(['a start', 'other tenant']);
    first.open();
    await Promise.all([a, b, d]);
    expect(order).toEqual(['a start', 'other tenant', 'a end', 'b', 'd']);
  });

  it('refuses with 429 once the queue is full', async () => {
    const c = new TenantConcurrency(1);
    const g = gate();
    const signal = new AbortController().signal;
    const running = c.run('t', limits, signal, g.task);
    const waiting = c.run('t', limits, signal, async () => 'served');
    const refused = c.run('t', limits, signal, async () => 'never').catch((e: LokiError) => e);
    const err = await refused;
    expect(err).toBeInstanceOf(LokiError);
    expect([(err as LokiError).status, (err as LokiError).message]).toEqual([429, TOO_MANY_OUTSTANDING]);
    g.open();
    await running;
    expect(await waiting).toBe('served');
  });

  it('a waiting request that is aborted leaves the queue', async () => {
    const c = new TenantConcurrency(1);
    const g = gate();
    const running = c.run('t', limits, new AbortController().signal, g.task);
    const ac = new AbortController();
    const waiting = c.run('t', limits, ac.signal, async () => 'never').catch((e: Error) => e.message);
    ac.abort(new Error('timed out'));
    expect(await waiting).toBe('timed out');
    // Its place is free again: a new request may queue.
    const next = c.run('t', limits, new AbortController().signal, async () => 'served');
    g.open();
    await running;
    expect(await next).toBe('served');
  });
});
