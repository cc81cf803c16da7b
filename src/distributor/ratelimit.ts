/**
 * Ingestion rate limits as Loki applies them: a token bucket per tenant over line +
 * structured-metadata bytes, charged once per request with what passed validation, all or
 * nothing (a refused request takes no tokens); and a bucket per stream that the ingester
 * charges per entry.
 */
import { LokiError, TokenBucket, type Limits } from '../core/index.js';
import { ingestionRateLimited } from './messages.js';

interface TenantBucket {
  bucket: TokenBucket;
  rate: number;
  burst: number;
}

export class IngestionRateLimiter {
  private readonly tenants = new Map<string, TenantBucket>();

  /**
   * Charges `bytes` to the tenant's bucket or throws Loki's 429 for the whole request.
   * A change of the tenant's rate or burst starts a fresh bucket.
   */
  admit(tenant: string, lines: number, bytes: number, limits: Limits, nowMs: number): void {
    let t = this.tenants.get(tenant);
    if (!t || t.rate !== limits.ingestionRateBytes || t.burst !== limits.ingestionBurstBytes) {
      t = {
        bucket: new TokenBucket(limits.ingestionRateBytes, limits.ingestionBurstBytes, nowMs),
        rate: limits.ingestionRateBytes,
        burst: limits.ingestionBurstBytes,
      };
      this.tenants.set(tenant, t);
    }
    if (!t.bucket.allow(bytes, nowMs)) {
      throw new LokiError('rate_limited', ingestionRateLimited(tenant, limits.ingestionRateBytes, lines, bytes));
    }
  }
}

/** A stream's bucket, full at creation; the ingester charges each entry's bytes to it. */
export function newStreamRateLimiter(limits: Limits, nowMs: number): TokenBucket {
  return new TokenBucket(limits.perStreamRateBytes, limits.perStreamBurstBytes, nowMs);
}
