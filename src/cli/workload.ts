/**
 * Realistic shop logs, deterministic for a seed: the `demo` command's workload, and the small
 * pieces (PRNG, ids, line formats) that bench/generate.ts shares for its bulk data.
 *
 * A workload is a sequence of user requests ("traces"). Each trace walks through the services
 * a real request would touch — gateway, product, order, inventory, payment, notification —
 * and every line of it carries the same traceId, so one `|= "<traceId>"` query tells the whole
 * story. Some services log JSON, others logfmt, as mixed fleets do.
 */

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

/** `n` random lowercase hex digits (32 for a trace id, 16 for a span id, as W3C trace context). */
export function hexId(r: () => number, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += ((r() * 16) | 0).toString(16);
  return s;
}

const NEEDS_QUOTES = /[\s"=\\]/;

/** A logfmt line: values with spaces, quotes or `=` are quoted, the rest written bare. */
export function logfmtLine(fields: Record<string, string | number>): string {
  let out = '';
  for (const key in fields) {
    const v = fields[key];
    const s = typeof v === 'number' ? String(v) : v;
    if (out) out += ' ';
    out += key;
    out += '=';
    out += s === '' || NEEDS_QUOTES.test(s) ? JSON.stringify(s) : s;
  }
  return out;
}

export type LineFormat = 'json' | 'logfmt';

export function formatLine(format: LineFormat, fields: Record<string, string | number>): string {
  return format === 'json' ? JSON.stringify(fields) : logfmtLine(fields);
}

/** Prometheus-text label string, as push clients send it. */
export function labelString(labels: Record<string, string>): string {
  return `{${Object.entries(labels).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(', ')}}`;
}

export type Service = 'gateway' | 'order' | 'payment' | 'product' | 'inventory' | 'notification';

const SERVICES: [Service, LineFormat][] = [
  ['gateway', 'json'],
  ['order', 'json'],
  ['payment', 'logfmt'],
  ['product', 'json'],
  ['inventory', 'logfmt'],
  ['notification', 'logfmt'],
];
const PODS_PER_SERVICE = 2;

export interface DemoStream {
  service: Service;
  format: LineFormat;
  labels: string;
}

/** The demo's streams: `{namespace="shop", app, pod, env="prod"}`, two pods per service. */
export function demoStreams(): DemoStream[] {
  const out: DemoStream[] = [];
  for (const [service, format] of SERVICES) {
    for (let p = 0; p < PODS_PER_SERVICE; p++) {
      const labels = labelString({ namespace: 'shop', app: service, pod: `${service}-5d8f7c${p}b9-${'qxzkw'[p]}${p}r7t`, env: 'prod' });
      out.push({ service, format, labels });
    }
  }
  return out;
}

export interface DemoLine {
  /** Index into `demoStreams()`. */
  stream: number;
  tsNs: bigint;
  line: string;
}

export type TraceKind = 'browse' | 'checkout' | 'declined' | 'failure' | 'incident';

export interface DemoTrace {
  kind: TraceKind;
  traceId: string;
  orderId?: string;
  /** The trace's lines in time order. */
  lines: DemoLine[];
}

const PRODUCTS = ['sku-1042', 'sku-2210', 'sku-3377', 'sku-4105', 'sku-5521', 'sku-6093', 'sku-7788', 'sku-8814'];
const BROWSE_PATHS = ['/api/products', '/api/products/{sku}', '/api/cart', '/api/search'];
const CARRIERS = ['dhl', 'ups', 'postnl'];

/**
 * How often each kind of request happens. The incident — the order service fails after the
 * payment was captured, so the customer is charged for an order that does not exist — is not
 * drawn at random: it recurs on a schedule (`incidentEveryNs`) so every run has some.
 */
const KIND_WEIGHTS: [TraceKind, number][] = [
  ['browse', 0.7],
  ['checkout', 0.24],
  ['declined', 0.03],
  ['failure', 0.03],
];

export const DEFAULT_INCIDENT_EVERY_NS = 5n * 60n * 1_000_000_000n;

const NS_PER_MS = 1_000_000n;

/** Builds one trace at a time; the same seed gives the same traces at the same offsets. */
export class DemoWorkload {
  readonly streams = demoStreams();
  /** The workload's random source; every draw advances the seeded sequence. */
  readonly random: () => number;
  private readonly streamIndex = new Map<Service, number[]>();
  private nextIncidentNs: bigint | undefined;
  private readonly incidentEveryNs: bigint;

  constructor(seed: number, opts: { incidentEveryNs?: bigint } = {}) {
    this.random = rng(seed);
    this.incidentEveryNs = opts.incidentEveryNs ?? DEFAULT_INCIDENT_EVERY_NS;
    this.streams.forEach((s, i) => {
      const list = this.streamIndex.get(s.service) ?? [];
      list.push(i);
      this.streamIndex.set(s.service, list);
    });
  }

  /** The trace of one request starting at `startNs`; the first trace is always an incident. */
  nextTrace(startNs: bigint): DemoTrace {
    let kind: TraceKind;
    if (this.nextIncidentNs === undefined || startNs >= this.nextIncidentNs) {
      kind = 'incident';
      // Jitter the schedule by ±20% so incidents do not line up with query steps.
      const jitter = BigInt(Math.round((this.random() * 0.4 - 0.2) * Number(this.incidentEveryNs / NS_PER_MS)));
      this.nextIncidentNs = startNs + this.incidentEveryNs + jitter * NS_PER_MS;
    } else kind = this.pickKind();
    return new TraceBuilder(this, kind, startNs).build();
  }

  private pickKind(): TraceKind {
    let x = this.random();
    for (const [kind, w] of KIND_WEIGHTS) {
      if (x < w) return kind;
      x -= w;
    }
    return 'browse';
  }

  /** A pod of the service, picked at random. */
  streamOf(service: Service): number {
    const list = this.streamIndex.get(service)!;
    return list[(this.random() * list.length) | 0];
  }
}

/** Writes the lines of one trace, advancing a clock by each hop's latency. */
class TraceBuilder {
  private readonly lines: DemoLine[] = [];
  private readonly traceId: string;
  private readonly userId: string;
  private readonly spans = new Map<Service, { spanId: string; stream: number }>();
  private now: bigint;

  constructor(
    private readonly w: DemoWorkload,
    private readonly kind: TraceKind,
    startNs: bigint,
  ) {
    this.now = startNs;
    this.traceId = hexId(w.random, 32);
    this.userId = `u-${10000 + ((w.random() * 90000) | 0)}`;
  }

  private rand(): number {
    return this.w.random();
  }

  private pick<T>(xs: readonly T[]): T {
    return xs[(this.rand() * xs.length) | 0];
  }

  /** Milliseconds of a hop: mostly fast, with a long tail. */
  private latency(base: number): number {
    const slow = this.rand() < 0.03;
    return Math.round(base * (0.5 + this.rand()) * (slow ? 8 + this.rand() * 12 : 1));
  }

  private advance(ms: number): void {
    this.now += BigInt(ms) * NS_PER_MS + BigInt((this.rand() * 1000) | 0) * 1000n;
  }

  private log(service: Service, level: string, msg: string, fields: Record<string, string | number> = {}): void {
    let span = this.spans.get(service);
    if (!span) {
      span = { spanId: hexId(this.w.random, 16), stream: this.w.streamOf(service) };
      this.spans.set(service, span);
    }
    const stream = this.w.streams[span.stream];
    const ts = new Date(Number(this.now / NS_PER_MS)).toISOString();
    const line = formatLine(stream.format, {
      ts,
      level,
      msg,
      traceId: this.traceId,
      spanId: span.spanId,
      ...fields,
    });
    this.lines.push({ stream: span.stream, tsNs: this.now, line });
  }

  build(): DemoTrace {
    let orderId: string | undefined;
    switch (this.kind) {
      case 'browse':
        this.browse();
        break;
      case 'failure':
        this.failure();
        break;
      default:
        orderId = this.checkout(this.kind);
    }
    return { kind: this.kind, traceId: this.traceId, orderId, lines: this.lines };
  }

  private request(method: string, path: string): number {
    this.log('gateway', 'info', 'request received', { method, path, userId: this.userId, clientIp: `10.${(this.rand() * 255) | 0}.${(this.rand() * 255) | 0}.${(this.rand() * 255) | 0}` });
    return Number(this.now / NS_PER_MS);
  }

  private respond(startMs: number, method: string, path: string, status: number): void {
    this.advance(this.latency(2));
    const latency = Number(this.now / NS_PER_MS) - startMs;
    const level = status >= 500 ? 'error' : status >= 400 ? 'warn' : 'info';
    this.log('gateway', level, 'request completed', { method, path, status, latency_ms: latency, userId: this.userId });
  }

  private browse(): void {
    const sku = this.pick(PRODUCTS);
    const path = this.pick(BROWSE_PATHS).replace('{sku}', sku);
    const start = this.request('GET', path);
    this.advance(this.latency(3));
    const cacheHit = this.rand() < 0.8;
    const latency = this.latency(cacheHit ? 4 : 35);
    this.advance(latency);
    this.log('product', latency > 300 ? 'warn' : 'info', latency > 300 ? 'slow catalog query' : 'catalog served', {
      sku, cache: cacheHit ? 'hit' : 'miss', latency_ms: latency,
    });
    if (this.rand() < 0.3) {
      this.advance(this.latency(6));
      this.log('inventory', 'debug', 'stock checked', { sku, available: (this.rand() * 500) | 0, warehouse: this.pick(['ams-1', 'fra-2']) });
    }
    this.respond(start, 'GET', path, this.rand() < 0.04 ? 404 : 200);
  }

  private failure(): void {
    const sku = this.pick(PRODUCTS);
    const path = `/api/products/${sku}`;
    const start = this.request('GET', path);
    this.advance(this.latency(3));
    const latency = 3000 + ((this.rand() * 2000) | 0);
    this.advance(latency);
    this.log('product', 'error', 'catalog query failed: connection reset by peer', {
      sku, db: 'catalog-replica-2', latency_ms: latency,
    });
    this.respond(start, 'GET', path, 502);
  }

  /** A checkout; `declined` and `incident` branch off the happy path. Returns the order id. */
  private checkout(kind: TraceKind): string {
    const orderId = `ord-${100000 + ((this.rand() * 900000) | 0)}`;
    const items = 1 + ((this.rand() * 4) | 0);
    const amount = (items * (9.99 + this.rand() * 120)).toFixed(2);
    const start = this.request('POST', '/api/checkout');
    this.advance(this.latency(4));
    this.log('order', 'info', 'order created', { orderId, userId: this.userId, items, amount, currency: 'EUR' });
    this.advance(this.latency(8));
    this.log('inventory', 'info', 'stock reserved', { orderId, sku: this.pick(PRODUCTS), qty: items, warehouse: this.pick(['ams-1', 'fra-2']) });
    this.advance(this.latency(120));
    const paymentId = `pay_${hexId(this.w.random, 12)}`;
    if (kind === 'declined') {
      this.log('payment', 'warn', 'payment declined', { orderId, paymentId, amount, currency: 'EUR', reason: 'insufficient_funds', provider: 'stripe' });
      this.advance(this.latency(5));
      this.log('order', 'info', 'order cancelled', { orderId, reason: 'payment_declined' });
      this.respond(start, 'POST', '/api/checkout', 402);
      return orderId;
    }
    this.log('payment', 'info', 'payment captured', { orderId, paymentId, amount, currency: 'EUR', provider: 'stripe' });
    if (kind === 'incident') {
      const latency = 5000 + ((this.rand() * 50) | 0);
      this.advance(latency);
      this.log('inventory', 'error', 'stock commit failed: lock wait timeout exceeded', { orderId, latency_ms: latency });
      this.advance(this.latency(3));
      this.log('order', 'error', 'order failed', { orderId, userId: this.userId, reason: 'inventory commit timeout', paymentId, paymentStatus: 'captured' });
      this.advance(this.latency(15));
      this.log('notification', 'warn', 'order failure email queued', { orderId, userId: this.userId, template: 'order_failed' });
      this.respond(start, 'POST', '/api/checkout', 500);
      return orderId;
    }
    this.advance(this.latency(5));
    this.log('order', 'info', 'order confirmed', { orderId, paymentId, status: 'confirmed' });
    this.advance(this.latency(20));
    this.log('notification', 'info', 'confirmation email sent', { orderId, userId: this.userId, template: 'order_confirmed', carrier: this.pick(CARRIERS) });
    this.respond(start, 'POST', '/api/checkout', 201);
    return orderId;
  }
}
