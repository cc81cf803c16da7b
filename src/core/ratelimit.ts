/** Token bucket over bytes: `rate` bytes/s refill, at most `burst` bytes banked. */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly rate: number,
    private readonly burst: number,
    nowMs: number = Date.now(),
  ) {
    this.tokens = burst;
    this.last = nowMs;
  }

  /** Takes `n` tokens if available; false (taking nothing) otherwise. */
  allow(n: number, nowMs: number = Date.now()): boolean {
    if (nowMs > this.last) {
      this.tokens = Math.min(this.burst, this.tokens + ((nowMs - this.last) / 1000) * this.rate);
      this.last = nowMs;
    }
    if (n > this.tokens) return false;
    this.tokens -= n;
    return true;
  }
}
