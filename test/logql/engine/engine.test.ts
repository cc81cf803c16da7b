/**
 * Engine behaviour that the scripts cannot show: limits, cancellation, errors raised while the
 * pipeline is built, and how the engine asks its data source (time range, direction, slices).
 */
import { describe, expect, it } from 'vitest';
import {
  type EntryIterator, type LogEntry, LokiError, MergeIterator, NS_PER_SECOND, arrayIterator, matchesAll, normalizeLabels,
  parseLabelString,
} from '../../../src/core/index.js';
import {
  type DataSource, type EntryBatches, Engine, type QueryParams, type SelectRequest, type StreamEntries, type StreamSlice,
} from '../../../src/logql/engine/index.js';

const S = NS_PER_SECOND;

/** An in-memory source that hands out its selection in slices of `sliceNs`. */
class FakeSource implements DataSource {
  readonly requests: SelectRequest[] = [];
  slicesServed = 0;

  constructor(
    private readonly streams: Record<string, LogEntry[]>,
    private readonly sliceNs = 10n * S,
    private readonly onSlice?: () => void,
  ) {}

  async selectLogs(req: SelectRequest): Promise<EntryBatches> {
    this.requests.push(req);
    const forward = req.direction === 'forward';
    let edge = forward ? req.from : req.through;
    const self = this;
    return {
      async next(): Promise<EntryIterator | undefined> {
        if (forward ? edge >= req.through : edge <= req.from) return undefined;
        const lo = forward ? edge : edge - self.sliceNs > req.from ? edge - self.sliceNs : req.from;
        const hi = forward ? (edge + self.sliceNs < req.through ? edge + self.sliceNs : req.through) : edge;
        edge = forward ? hi : lo;
        self.slicesServed++;
        self.onSlice?.();
        const its = Object.entries(self.streams)
          .filter(([labels]) => matchesAll(normalizeLabels(parseLabelString(labels)), req.matchers))
          .map(([labels, entries]) => {
            const inSlice = entries.filter((e) => e.ts >= lo && e.ts < hi);
            return arrayIterator(labels, forward ? inSlice : inSlice.reverse());
          });
        return new MergeIterator(its, req.direction);
      },
      async nextStreams(): Promise<StreamSlice | undefined> {
        if (edge >= req.through) return undefined;
        const lo = edge;
        const hi = edge + self.sliceNs < req.through ? edge + self.sliceNs : req.through;
        edge = hi;
        self.slicesServed++;
        self.onSlice?.();
        const streams = Object.entries(self.streams)
          .filter(([labels]) => matchesAll(normalizeLabels(parseLabelString(labels)), req.matchers))
          .map(([labels, entries]) => arrayStreamEntries(labels, entries.filter((e) => e.ts >= lo && e.ts < hi), req.timeBase ?? req.from));
        return { bound: hi, streams };
      },
      close() {},
    };
  }
}

function arrayStreamEntries(stream: string, list: LogEntry[], timeBase: bigint): StreamEntries {
  let i = -1;
  return {
    stream,
    next: () => ++i < list.length,
    ts: () => list[i].ts,
    relTs: () => Number(list[i].ts - timeBase),
    line: () => list[i].line,
    lineBytes: () => Buffer.byteLength(list[i].line),
    metadata: () => list[i].metadata,
  };
}

function entries(...seconds: number[]): LogEntry[] {
  return seconds.map((s) => ({ ts: BigInt(s) * S, line: `line at ${s}s`, metadata: [] }));
}

const LIMITS = { maxQuerySeries: 2, maxEntriesLimitPerQuery: 5000 };

function params(query: string, over: Partial<QueryParams> = {}): QueryParams {
  return { query, start: 60n * S, end: 60n * S, step: 0n, direction: 'backward', limit: 100, instant: true, ...over };
}

describe('engine', () => {
  const three = {
    '{app="a"}': entries(10, 20),
    '{app="b"}': entries(15),
    '{app="c"}': entries(30, 40, 50),
  };

  it('fails a metric query over max_query_series with Loki\'s text (instant and range)', async () => {
    const engine = new Engine(new FakeSource(three), () => LIMITS);
    const text =
      'maximum number of series (2) reached for a single query; consider reducing query cardinality by adding more ' +
      'specific stream selectors, reducing the time range, or aggregating results with functions like sum(), count() or topk()';
    await expect(engine.exec('t', params('count_over_time({app=~".+"}[1m])'))).rejects.toThrow(text);
    await expect(
      engine.exec('t', params('count_over_time({app=~".+"}[1m])', { instant: false, start: 0n, step: 10n * S })),
    ).rejects.toMatchObject({ code: 'limit_exceeded', message: text });
    // Aggregated below the limit, the same data is fine.
    const { result } = await engine.exec('t', params('sum(count_over_time({app=~".+"}[1m]))'));
    expect(result).toEqual({ type: 'vector', samples: [{ metric: [], t: 60n * S, v: 6 }] });
  });

  it('reads a range aggregation forwards over (first start - offset - range, last end - offset]', async () => {
    const source = new FakeSource(three);
    const engine = new Engine(source, () => LIMITS);
    await engine.exec('t', params('count_over_time({app="a"}[30s] offset 5s)', { instant: false, start: 100n * S, end: 200n * S, step: 50n * S }));
    const [req] = source.requests;
    expect(req.direction).toBe('forward');
    expect(req.from).toBe(100n * S - 35n * S + 1n);
    expect(req.through).toBe(200n * S - 5n * S + 1n);
  });

  it('stops reading once a backward log query has its limit', async () => {
    const many: Record<string, LogEntry[]> = { '{app="a"}': entries(...Array.from({ length: 100 }, (_, i) => i)) };
    const source = new FakeSource(many, 10n * S);
    const engine = new Engine(source, () => LIMITS);
    const { result, stats } = await engine.exec('t', params('{app="a"}', { instant: false, start: 0n, end: 100n * S, limit: 5 }));
    expect(result.type === 'streams' && result.streams[0].entries.map((e) => e.ts / S)).toEqual([99n, 98n, 97n, 96n, 95n]);
    expect(source.slicesServed).toBe(1);
    expect(stats.totalEntriesReturned).toBe(5);
  });

  it('honours an abort signal between slices', async () => {
    const controller = new AbortController();
    const reason = new LokiError('timeout', 'stopped');
    const source = new FakeSource({ '{app="a"}': entries(1, 11, 21, 31) }, 10n * S, () => controller.abort(reason));
    const engine = new Engine(source, () => LIMITS);
    await expect(
      engine.exec('t', params('count_over_time({app="a"}[10s])', { instant: false, start: 0n, end: 40n * S, step: 10n * S, signal: controller.signal })),
    ).rejects.toBe(reason);
    await expect(
      engine.exec('t', params('{app="a"}', { instant: false, start: 0n, end: 40n * S, signal: controller.signal })),
    ).rejects.toBe(reason);
  });

  it('reports a line-filter regex that does not compile when the pipeline is built', async () => {
    const engine = new Engine(new FakeSource(three), () => LIMITS);
    const err = await engine.exec('t', params('{app="a"} |~ "(("', { instant: false, start: 0n })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LokiError);
    expect((err as LokiError).status).toBe(400);
    expect((err as LokiError).message).toContain('error parsing regexp: missing closing ): `((`');
  });

  it('answers a literal-only query without reading data', async () => {
    const source = new FakeSource(three);
    const engine = new Engine(source, () => LIMITS);
    expect((await engine.exec('t', params('2 * 21'))).result).toEqual({ type: 'scalar', t: 60n * S, v: 42 });
    expect(source.requests).toHaveLength(0);
  });
});
