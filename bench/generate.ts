/**
 * Deterministic generator of realistic microservice logs, shared by the ingest and query
 * benchmarks: ~50 streams ({namespace, app, pod, env}) of JSON and logfmt lines carrying
 * traceId/spanId, orderId, userId, latency and status, about 250 bytes a line.
 */
export interface GenStream {
  labels: Record<string, string>;
  /** Prometheus-text label string, as push clients send it. */
  labelString: string;
  format: 'json' | 'logfmt';
}

export interface GenLine {
  stream: number;
  tsNs: bigint;
  line: string;
}

const APPS: [string, 'json' | 'logfmt'][] = [
  ['gateway', 'json'], ['order', 'json'], ['payment', 'logfmt'], ['inventory', 'logfmt'],
  ['product', 'json'], ['notification', 'logfmt'], ['user', 'json'], ['cart', 'json'],
  ['shipping', 'logfmt'], ['auth', 'json'],
];
const PODS_PER_APP = 5;
const PATHS = ['/api/orders', '/api/cart', '/api/products', '/api/users/me', '/api/checkout', '/api/payments', '/healthz'];
const METHODS = ['GET', 'GET', 'GET', 'POST', 'PUT', 'DELETE'];
const MESSAGES = [
  'request completed', 'order created', 'payment captured', 'stock reserved', 'cache miss',
  'user authenticated', 'notification sent', 'cart updated', 'shipment scheduled', 'db query slow',
];

/** Small fast PRNG (mulberry32) so runs are reproducible. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function streams(): GenStream[] {
  const out: GenStream[] = [];
  for (const [app, format] of APPS) {
    for (let p = 0; p < PODS_PER_APP; p++) {
      const labels = { namespace: 'shop', app, pod: `${app}-7d9f${p}c-x${p}k2`, env: 'prod' };
      const labelString = `{${Object.entries(labels).map(([k, v]) => `${k}="${v}"`).join(', ')}}`;
      out.push({ labels, labelString, format });
    }
  }
  return out;
}

function hex(r: () => number, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += ((r() * 16) | 0).toString(16);
  return s;
}

/**
 * `count` lines spread evenly over `[startNs, startNs + spanNs)`, in time order, round-robin
 * over streams with a random pick. Every 997th order line is an error; `needleOrderId` marks
 * one rare order id for needle queries.
 */
export function* generate(count: number, startNs: bigint, spanNs: bigint, seed = 42): Generator<GenLine> {
  const r = rng(seed);
  const all = streams();
  const stepNs = spanNs / BigInt(count);
  for (let i = 0; i < count; i++) {
    const stream = (r() * all.length) | 0;
    const s = all[stream];
    const app = s.labels.app;
    const isError = i % 997 === 0;
    const level = isError ? 'error' : r() < 0.1 ? 'warn' : r() < 0.2 ? 'debug' : 'info';
    const status = isError ? 500 : r() < 0.05 ? 404 : 200;
    const latency = Math.round(r() < 0.02 ? 500 + r() * 2000 : 5 + r() * 200);
    const traceId = hex(r, 32);
    const spanId = hex(r, 16);
    const orderId = i === Math.floor(count / 2) ? needleOrderId() : `ord-${(r() * 1e8) | 0}`;
    const userId = `u-${(r() * 1e5) | 0}`;
    const path = PATHS[(r() * PATHS.length) | 0];
    const method = METHODS[(r() * METHODS.length) | 0];
    const msg = isError ? 'order failed: upstream timeout' : MESSAGES[(r() * MESSAGES.length) | 0];
    const tsNs = startNs + BigInt(i) * stepNs;
    const time = new Date(Number(tsNs / 1_000_000n)).toISOString();
    const line =
      s.format === 'json'
        ? JSON.stringify({
            ts: time, level, app, msg, traceId, spanId, orderId, userId, method, path, status,
            latency_ms: latency, bytes: (r() * 50000) | 0,
          })
        : `ts=${time} level=${level} app=${app} msg="${msg}" traceId=${traceId} spanId=${spanId} ` +
          `orderId=${orderId} userId=${userId} method=${method} path=${path} status=${status} ` +
          `latency_ms=${latency} bytes=${(r() * 50000) | 0}`;
    yield { stream, tsNs, line };
  }
}

export function needleOrderId(): string {
  return 'ord-needle-4242';
}
