import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS, type Limits } from '../../src/core/index.js';
import { IngestionRateLimiter, newStreamRateLimiter } from '../../src/distributor/index.js';
import { expectLokiError } from './helpers.js';

const limits = (rate: number, burst: number): Limits => ({ ...DEFAULT_LIMITS, ingestionRateBytes: rate, ingestionBurstBytes: burst });
const refusal = (tenant: string, rate: number, lines: number, bytes: number) =>
  `ingestion rate limit exceeded for user ${tenant} (limit: ${rate} bytes/sec) while attempting to ingest '${lines}' lines ` +
  `totaling '${bytes}' bytes, reduce log volume or contact your Loki administrator to see if the limit can be increased`;

describe('IngestionRateLimiter', () => {
  it('starts with the burst, refills at the rate, and refuses the whole request with 429', () => {
    const rl = new IngestionRateLimiter();
    const l = limits(100, 300);
    rl.admit('t', 1, 300, l, 0);
    expectLokiError(() => rl.admit('t', 2, 1, l, 0), 429, refusal('t', 100, 2, 1));
    rl.admit('t', 1, 50, l, 500); // 0.5 s later: 50 bytes back
    expectLokiError(() => rl.admit('t', 1, 1, l, 500), 429, refusal('t', 100, 1, 1));
    rl.admit('t', 1, 300, l, 10_000); // never more than the burst banked
    expectLokiError(() => rl.admit('t', 1, 1, l, 10_000), 429, refusal('t', 100, 1, 1));
  });

  it('takes nothing from a refused request', () => {
    const rl = new IngestionRateLimiter();
    const l = limits(100, 300);
    rl.admit('t', 1, 200, l, 0);
    expectLokiError(() => rl.admit('t', 1, 150, l, 0), 429, refusal('t', 100, 1, 150));
    rl.admit('t', 1, 100, l, 0);
  });

  it('always refuses a request larger than the burst', () => {
    const rl = new IngestionRateLimiter();
    expectLokiError(() => rl.admit('t', 3, 301, limits(100, 300), 0), 429, refusal('t', 100, 3, 301));
  });

  it('keeps one bucket per tenant and starts afresh when the tenant limits change', () => {
    const rl = new IngestionRateLimiter();
    rl.admit('a', 1, 300, limits(100, 300), 0);
    rl.admit('b', 1, 300, limits(100, 300), 0);
    expectLokiError(() => rl.admit('a', 1, 1, limits(100, 300), 0), 429, refusal('a', 100, 1, 1));
    rl.admit('a', 1, 500, limits(100, 500), 0);
  });
});

describe('newStreamRateLimiter', () => {
  it('uses the per-stream rate and burst', () => {
    const bucket = newStreamRateLimiter({ ...DEFAULT_LIMITS, perStreamRateBytes: 10, perStreamBurstBytes: 20 }, 0);
    expect(bucket.allow(20, 0)).toBe(true);
    expect(bucket.allow(1, 0)).toBe(false);
    expect(bucket.allow(10, 1000)).toBe(true);
  });
});
