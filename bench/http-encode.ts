/**
 * Query answer encoding: the hand-written Loki JSON writer against building the same document
 * as objects and calling JSON.stringify (which also cannot give Go's number formatting or key
 * order guarantees). Prints the best of 5 rounds for a 5,000-line log answer (with and without
 * categorize-labels) and an 11,000-point matrix.
 *
 *   npx tsx bench/http-encode.ts
 */
import { EMPTY_SUMMARY, encodeQueryResponse, type QueryResultValue } from '../src/server/encode.js';

const T0 = 1_714_550_400_000_000_000n;
const labels = [{ name: 'app', value: 'api' }, { name: 'env', value: 'prod' }];

const streams: QueryResultValue = {
  type: 'streams',
  streams: Array.from({ length: 10 }, (_, s) => ({
    labels: [...labels, { name: 'pod', value: `p${s}` }],
    entries: Array.from({ length: 500 }, (_, i) => ({
      ts: T0 - BigInt(i) * 1_000_000n,
      line: `level=info ts=2024-05-01T08:00:00Z caller=handler.go:${i} msg="GET /api/items/${i} 200" duration=${i}ms <b>`,
      structuredMetadata: [{ name: 'trace_id', value: `t${i}` }],
      parsed: [{ name: 'status', value: '200' }],
    })),
  })),
};

const matrix: QueryResultValue = {
  type: 'matrix',
  series: [{ metric: labels, points: Array.from({ length: 11_000 }, (_, i) => ({ t: T0 + BigInt(i) * 60_000_000_000n, v: i / 7 })) }],
};

function viaStringify(r: QueryResultValue): string {
  if (r.type === 'streams') {
    return JSON.stringify({
      status: 'success',
      data: {
        resultType: 'streams',
        result: r.streams.map((s) => ({
          stream: Object.fromEntries(s.labels.map((l) => [l.name, l.value])),
          values: s.entries.map((e) => [String(e.ts), e.line]),
        })),
        stats: {},
      },
    });
  }
  if (r.type !== 'matrix') throw new Error('unsupported');
  return JSON.stringify({
    status: 'success',
    data: {
      resultType: 'matrix',
      result: r.series.map((s) => ({
        metric: Object.fromEntries(s.metric.map((l) => [l.name, l.value])),
        values: s.points.map((p) => [Number(p.t / 1_000_000n) / 1000, String(p.v)]),
      })),
      stats: {},
    },
  });
}

function best(fn: () => string, rounds = 5, reps = 20): { ms: number; bytes: number } {
  let min = Infinity;
  let bytes = 0;
  for (let r = 0; r < rounds; r++) {
    const t = performance.now();
    for (let i = 0; i < reps; i++) bytes = fn().length;
    min = Math.min(min, (performance.now() - t) / reps);
  }
  return { ms: min, bytes };
}

const cases: [string, () => string][] = [
  ['streams 5000 lines, writer', () => encodeQueryResponse(streams, EMPTY_SUMMARY, { flags: [], direction: 'backward' })],
  ['streams 5000 lines, writer + categorize-labels', () => encodeQueryResponse(streams, EMPTY_SUMMARY, { flags: ['categorize-labels'], direction: 'backward' })],
  ['streams 5000 lines, JSON.stringify', () => viaStringify(streams)],
  ['matrix 11000 points, writer', () => encodeQueryResponse(matrix, EMPTY_SUMMARY, { flags: [], direction: 'backward' })],
  ['matrix 11000 points, JSON.stringify', () => viaStringify(matrix)],
];
for (const [name, fn] of cases) {
  const { ms, bytes } = best(fn);
  console.log(`${name.padEnd(48)} ${ms.toFixed(2).padStart(7)} ms  ${(bytes / 1024).toFixed(0).padStart(5)} KiB  ${(bytes / 1024 / 1024 / (ms / 1000)).toFixed(0).padStart(5)} MiB/s`);
}
