/**
 * `logstore demo`: a running shop to explore. Pushes the workload of `workload.ts` to a server
 * — optionally hours of past data first (`--backfill`), then live lines at `--rate` — and
 * prints three queries to start with, the trace of the latest incident first.
 */
import { formatGoDuration, formatPromDuration, nowNanos, NS_PER_SECOND, type Nanos } from '../core/index.js';
import { CLIENT_FLAGS, DEFAULT_ADDR, LokiClient } from './client.js';
import { type CommandSpec, UsageError, parseFlags, usage } from './flags.js';
import { formatBytes, Progress } from './progress.js';
import { Pusher } from './pusher.js';
import { onInterrupt } from './signals.js';
import { DemoWorkload, type DemoTrace } from './workload.js';
import { parseDurationFlag, parseIntFlag, parsePositiveFloatFlag } from './values.js';

/** The store refuses entries older than a week (reject_old_samples_max_age). */
const MAX_BACKFILL_NS = 167n * 3600n * NS_PER_SECOND;
/** How often live mode wakes up to write the traces whose time has come. */
const LIVE_TICK_MS = 200;

const DEMO_FLAGS = {
  rate: { type: 'string', value: 'N', default: '20', help: 'lines per second (live, and the density of --backfill)' },
  seed: { type: 'string', value: 'N', help: 'seed of the generator; the same seed writes the same lines (default: random)' },
  backfill: { type: 'string', value: 'DUR', help: 'first write this much past data as fast as the server takes it (e.g. 1h)' },
  duration: { type: 'string', value: 'DUR', help: 'stop after pushing live for this long; 0 stops after the backfill (default: until Ctrl-C)' },
  ...CLIENT_FLAGS,
} as const;

export const DEMO: CommandSpec<typeof DEMO_FLAGS> = {
  name: 'demo',
  args: '',
  summary: 'Push a realistic e-commerce workload to a running server and print queries to try.',
  details:
    'Services gateway, order, payment, product, inventory and notification log JSON or logfmt lines\n' +
    'with traceId/spanId, orderId, userId, latency_ms and status, in streams\n' +
    '{namespace="shop", app, pod, env="prod"}. Some requests fail; every ~5 minutes an order fails\n' +
    'after its payment was captured (the incident to find).',
  minArgs: 0,
  maxArgs: 0,
  flags: DEMO_FLAGS,
  examples: ['logstore demo --backfill 1h', 'logstore demo --seed 7 --backfill 30m --duration 0'],
};

export async function demo(argv: string[]): Promise<number> {
  const { flags, help } = parseFlags(DEMO, argv);
  if (help) {
    process.stdout.write(usage(DEMO));
    return 0;
  }
  const rate = parsePositiveFloatFlag('rate', flags.rate!);
  const seed = flags.seed !== undefined ? parseIntFlag('seed', flags.seed) : (Math.random() * 2 ** 31) | 0;
  const backfill = flags.backfill !== undefined ? parseDurationFlag('backfill', flags.backfill) : 0n;
  if (backfill > MAX_BACKFILL_NS) {
    throw new UsageError(`invalid --backfill '${flags.backfill}': at most 167h (the store refuses entries older than a week)`);
  }
  const duration = flags.duration !== undefined ? parseDurationFlag('duration', flags.duration) : undefined;
  const client = new LokiClient({ addr: flags.addr!, tenant: flags.tenant });
  const pusher = new Pusher({ client });
  const workload = new DemoWorkload(seed);
  const out = (s: string) => process.stdout.write(`${s}\n`);

  out(`demo: pushing the shop workload to ${client.base.origin} (seed ${seed}, ${rate} lines/s)`);
  const start = nowNanos();
  const feed = new DemoFeed(workload, pusher, rate, start - backfill, start);
  if (backfill > 0n) {
    const progress = new Progress(pusher, process.stderr, 'backfilled');
    const began = Date.now();
    try {
      await feed.writeUntil(start);
      await pusher.flush();
    } finally {
      progress.stop();
    }
    out(
      `demo: backfilled ${formatGoDuration(backfill)}: ${pusher.linesSent.toLocaleString('en-US')} lines ` +
        `(${formatBytes(pusher.bytesSent)}) in ${((Date.now() - began) / 1000).toFixed(1)}s`,
    );
  } else {
    await feed.writeUntil(start);
    await pusher.flush();
  }
  printQueries(out, feed.latestIncident!, flags.addr!, flags.tenant, backfill);
  if (duration === 0n) {
    await feed.writeHeld();
    await pusher.close();
    return 0;
  }

  out(`demo: pushing live${duration ? ` for ${formatGoDuration(duration)}` : ''} (Ctrl-C to stop)`);
  const progress = new Progress(pusher);
  const deadline = duration !== undefined ? Date.now() + Number(duration / 1_000_000n) : Infinity;
  let stop = false;
  const dispose = onInterrupt(() => (stop = true), 'the lines not yet sent are lost');
  try {
    while (!stop && Date.now() < deadline) {
      await feed.writeUntil(nowNanos());
      await new Promise((r) => setTimeout(r, LIVE_TICK_MS));
    }
    // The traces under way are finished, so none stops halfway.
    await feed.writeHeld();
    await pusher.close();
  } finally {
    progress.stop();
    dispose();
  }
  out(`demo: stopped after ${pusher.linesSent.toLocaleString('en-US')} lines (${formatBytes(pusher.bytesSent)})`);
  return 0;
}

interface HeldLine {
  labels: string;
  tsNs: Nanos;
  line: string;
}

/**
 * Writes the workload's traces up to a point in time. A trace's later lines (a slow payment,
 * the incident's 5 s timeout) are held until their time has come, so live data never shows
 * lines from the future.
 */
class DemoFeed {
  /** The latest incident whose lines all lie before `printedAt`, else the first one. */
  latestIncident: DemoTrace | undefined;
  private next: Nanos;
  private held: HeldLine[] = [];

  constructor(
    private readonly workload: DemoWorkload,
    private readonly pusher: Pusher,
    private readonly rate: number,
    from: Nanos,
    private readonly printedAt: Nanos,
  ) {
    this.next = from;
  }

  async writeUntil(until: Nanos): Promise<void> {
    if (this.held.length) {
      const due = this.held.filter((l) => l.tsNs <= until);
      this.held = this.held.filter((l) => l.tsNs > until);
      for (const l of due) await this.write(l.labels, l.tsNs, l.line);
    }
    while (this.next <= until) {
      const trace = this.workload.nextTrace(this.next);
      const end = trace.lines[trace.lines.length - 1].tsNs;
      if (trace.kind === 'incident' && (!this.latestIncident || end <= this.printedAt)) this.latestIncident = trace;
      for (const l of trace.lines) {
        const labels = this.workload.streams[l.stream].labels;
        if (l.tsNs <= until) await this.write(labels, l.tsNs, l.line);
        else this.held.push({ labels, tsNs: l.tsNs, line: l.line });
      }
      // Spacing traces by their line count keeps the line rate at --rate.
      this.next += BigInt(Math.round((trace.lines.length / this.rate) * 1e9));
    }
  }

  /** Writes the held lines now (when stopping), so no trace is left unfinished. */
  async writeHeld(): Promise<void> {
    const held = this.held;
    this.held = [];
    for (const l of held) await this.write(l.labels, l.tsNs, l.line);
  }

  private async write(labels: string, tsNs: Nanos, line: string): Promise<void> {
    const pending = this.pusher.add(labels, tsNs, line);
    if (pending) await pending;
  }
}

function printQueries(out: (s: string) => void, incident: DemoTrace, addr: string, tenant: string | undefined, backfill: Nanos): void {
  const since = formatPromDuration(backfill > 3600n * NS_PER_SECOND ? backfill : 3600n * NS_PER_SECOND);
  const common = [
    addr !== DEFAULT_ADDR ? ` --addr ${addr}` : '',
    tenant ? ` --tenant ${tenant}` : '',
    ` --since ${since}`,
  ].join('');
  out('');
  out('Try these queries:');
  out(`  # the incident: order ${incident.orderId} failed after its payment was captured; its whole trace, in order`);
  out(`  logstore query${common} --direction forward '{namespace="shop"} |= "${incident.traceId}"'`);
  out('  # every failed order, with its reason');
  out(`  logstore query${common} '{app="order"} | json | level="error" | line_format "{{.orderId}} {{.reason}}"'`);
  out('  # errors per service over time, as a table');
  out(`  logstore query${common} --step 5m 'sum by (app) (count_over_time({namespace="shop"} |~ \`level"?[=:]"?error\` [5m]))'`);
  out('');
}
