/**
 * Deterministic generator of realistic microservice logs, shared by the ingest and query
 * benchmarks: ~50 streams ({namespace, app, pod, env}) of JSON and logfmt lines carrying
 * traceId/spanId, orderId, userId, latency and status, about 250 bytes a line. The PRNG and
 * the line formats are the demo workload's (src/cli/workload.ts).
 */
import { formatLine, hexId, labelString, rng } from '../src/cli/workload.js';

export { rng };

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

export function streams(): GenStream[] {
  const out: GenStream[] = [];
  for (const [app, format] of APPS) {
    for (let p = 0; p < PODS_PER_APP; p++) {
      const labels = { namespace: 'shop', app, pod: `${app}-7d9f${p}c-x${p}k2`, env: 'prod' };
      out.push({ labels, labelString: labelString(labels), format });
    }
  }
  return out;
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
    const traceId = hexId(r, 32);
    const spanId = hexId(r, 16);
    const orderId = i === Math.floor(count / 2) ? needleOrderId() : `ord-${(r() * 1e8) | 0}`;
    const userId = `u-${(r() * 1e5) | 0}`;
    const path = PATHS[(r() * PATHS.length) | 0];
    const method = METHODS[(r() * METHODS.length) | 0];
    const msg = isError ? 'order failed: upstream timeout' : MESSAGES[(r() * MESSAGES.length) | 0];
    const tsNs = startNs + BigInt(i) * stepNs;
    const time = new Date(Number(tsNs / 1_000_000n)).toISOString();
    const line = formatLine(s.format, {
      ts: time, level, app, msg, traceId, spanId, orderId, userId, method, path, status,
      latency_ms: latency, bytes: (r() * 50000) | 0,
    });
    yield { stream, tsNs, line };
  }
}

export function needleOrderId(): string {
  return 'ord-needle-4242';
}
