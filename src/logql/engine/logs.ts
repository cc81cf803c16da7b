/**
 * Log queries: entries of the selected streams through the pipeline, consumed in the query's
 * direction until `limit` entries are kept (spec §9.3), grouped into result streams by their
 * final label set.
 */
import { type Labels, type Nanos, canonicalLabels, newMatcher } from '../../core/index.js';
import type { LogExpr } from '../syntax/ast.js';
import { buildPipeline, type StreamPipeline } from '../pipeline/index.js';
import { ABORT_CHECK_EVERY, type QueryContext } from './context.js';
import { StreamLabelsCache, withMetadata } from './labels.js';
import type { ResultStream } from './types.js';

const NO_LABELS: Labels = Object.freeze([]) as Labels;

export interface LogSelection {
  start: Nanos;
  end: Nanos;
  direction: 'forward' | 'backward';
  limit: number;
  interval: Nanos;
}

export async function selectLogStreams(ctx: QueryContext, expr: LogExpr, sel: LogSelection): Promise<ResultStream[]> {
  const pipeline = expr.stages.length > 0 ? buildPipeline(expr.stages) : undefined;
  const batches = await ctx.source.selectLogs({
    tenant: ctx.tenant,
    matchers: expr.matchers.map((m) => newMatcher(m.type, m.name, m.value)),
    from: sel.start,
    through: sel.end,
    direction: sel.direction,
    blockFilter: pipeline?.blockFilter,
    stats: ctx.stats,
    signal: ctx.signal,
  });
  const streamLabels = new StreamLabelsCache();
  const perStream = new Map<string, StreamPipeline>();
  const streams = new Map<string, ResultStream>();
  const forward = sel.direction === 'forward';
  const interval = sel.interval;
  let kept = 0;
  let read = 0;
  let lastKept: Nanos | undefined;
  try {
    outer: while (kept < sel.limit) {
      ctx.signal?.throwIfAborted();
      const it = await batches.next();
      if (it === undefined) break;
      while (it.next()) {
        if (++read % ABORT_CHECK_EVERY === 0) ctx.signal?.throwIfAborted();
        const e = it.at();
        const stream = it.labels();
        let line = e.line;
        let labels: Labels;
        let key: string;
        let metadata = e.metadata;
        let parsed = NO_LABELS;
        if (pipeline !== undefined) {
          let sp = perStream.get(stream);
          if (sp === undefined) {
            sp = pipeline.forStream(streamLabels.get(stream));
            perStream.set(stream, sp);
          }
          const r = sp.process(e.ts, e.line, e.metadata);
          if (r === undefined) continue;
          line = r.line;
          labels = r.labels;
          key = r.labelsKey;
          metadata = r.structuredMetadata;
          parsed = r.parsed;
        } else if (metadata.length === 0) {
          labels = streamLabels.get(stream);
          key = stream;
        } else {
          labels = withMetadata(streamLabels.get(stream), metadata);
          key = canonicalLabels(labels);
        }
        // `interval` samples what the pipeline kept, across all streams.
        if (interval > 0n && lastKept !== undefined) {
          if (forward ? e.ts < lastKept + interval : e.ts > lastKept - interval) continue;
        }
        lastKept = e.ts;
        let out = streams.get(key);
        if (out === undefined) {
          out = { labels, entries: [] };
          streams.set(key, out);
        }
        out.entries.push({ ts: e.ts, line, structuredMetadata: metadata, parsed });
        if (++kept >= sel.limit) break outer;
      }
    }
  } finally {
    batches.close();
  }
  ctx.stats.totalEntriesReturned = kept;
  // Loki orders result streams by their label string.
  return [...streams.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map((e) => e[1]);
}
