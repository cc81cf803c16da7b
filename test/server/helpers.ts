/**
 * HTTP helpers for the API tests: requests built the way Grafana's backend builds them
 * (Go's `url.Values.Encode`: sorted keys, spaces as `+`), and a reader of query responses that
 * applies Grafana's parsing rules (pkg/promlib/converter, spec §3.3) so a shape Grafana would
 * reject fails the test.
 */
import { expect } from 'vitest';

export const NS = 1_000_000_000n;

/** Go's `url.Values.Encode()`: keys sorted, values form-encoded. */
export function goEncode(params: Record<string, string | string[]>): string {
  const search = new URLSearchParams();
  for (const key of Object.keys(params).sort()) {
    const v = params[key];
    for (const x of Array.isArray(v) ? v : [v]) search.append(key, x);
  }
  return search.toString();
}

export async function get(
  base: string,
  path: string,
  params: Record<string, string | string[]> = {},
  headers: Record<string, string> = {},
): Promise<{ status: number; text: string; contentType: string }> {
  const qs = goEncode(params);
  const res = await fetch(`${base}${path}${qs ? `?${qs}` : ''}`, { headers });
  return { status: res.status, text: await res.text(), contentType: res.headers.get('content-type') ?? '' };
}

export async function postForm(
  base: string,
  path: string,
  params: Record<string, string | string[]>,
  headers: Record<string, string> = {},
): Promise<{ status: number; text: string }> {
  const res = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: goEncode(params),
  });
  return { status: res.status, text: await res.text() };
}

export interface GrafanaLogRow {
  labels: Record<string, string>;
  ts: string;
  line: string;
  /** I (indexed), S (structured metadata), P (parsed) per label, when categorized. */
  labelTypes?: Record<string, 'I' | 'S' | 'P'>;
}

export interface GrafanaFrame {
  resultType: string;
  logs: GrafanaLogRow[];
  series: { metric: Record<string, string>; points: [number, number][] }[];
  scalar?: [number, number];
}

function isStringMap(v: unknown): v is Record<string, string> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'string');
}

/**
 * Reads a `query`/`query_range` body as Grafana does: `resultType` must exist, and the
 * `categorize-labels` flag counts only if `encodingFlags` comes before `result` in the text;
 * with it every value is `[string, string, object]`, without it exactly `[string, string]`.
 */
export function parseLikeGrafana(body: string): GrafanaFrame {
  const doc = JSON.parse(body) as { status: string; data: Record<string, unknown> };
  expect(doc.status).toBe('success');
  const keys = Object.keys(doc.data);
  expect(keys).toContain('resultType');
  const flagsBeforeResult = keys.includes('encodingFlags') && keys.indexOf('encodingFlags') < keys.indexOf('result');
  const categorize = flagsBeforeResult && (doc.data.encodingFlags as string[]).includes('categorize-labels');
  const frame: GrafanaFrame = { resultType: doc.data.resultType as string, logs: [], series: [] };
  const result = doc.data.result as unknown[];
  switch (frame.resultType) {
    case 'streams':
      for (const s of result as { stream: unknown; values: unknown[][] }[]) {
        expect(isStringMap(s.stream)).toBe(true);
        for (const v of s.values) {
          expect(typeof v[0]).toBe('string');
          expect(v[0] as string).toMatch(/^\d+$/);
          expect(typeof v[1]).toBe('string');
          if (categorize) {
            expect(v).toHaveLength(3);
            const extra = v[2] as { structuredMetadata?: unknown; parsed?: unknown };
            expect(typeof extra).toBe('object');
            const labels = { ...(s.stream as Record<string, string>) };
            const labelTypes: Record<string, 'I' | 'S' | 'P'> = {};
            for (const k of Object.keys(labels)) labelTypes[k] = 'I';
            if (extra.structuredMetadata !== undefined) {
              expect(isStringMap(extra.structuredMetadata)).toBe(true);
              for (const [k, x] of Object.entries(extra.structuredMetadata as Record<string, string>)) {
                labels[k] = x;
                labelTypes[k] = 'S';
              }
            }
            if (extra.parsed !== undefined) {
              expect(isStringMap(extra.parsed)).toBe(true);
              for (const [k, x] of Object.entries(extra.parsed as Record<string, string>)) {
                labels[k] = x;
                labelTypes[k] = 'P';
              }
            }
            frame.logs.push({ labels, ts: v[0] as string, line: v[1] as string, labelTypes });
          } else {
            expect(v).toHaveLength(2);
            frame.logs.push({ labels: s.stream as Record<string, string>, ts: v[0] as string, line: v[1] as string });
          }
        }
      }
      break;
    case 'matrix':
      for (const s of result as { metric: unknown; values: unknown[][] }[]) {
        expect(isStringMap(s.metric)).toBe(true);
        frame.series.push({
          metric: s.metric as Record<string, string>,
          points: s.values.map((p) => {
            expect(typeof p[0]).toBe('number');
            expect(typeof p[1]).toBe('string');
            return [p[0] as number, Number.parseFloat(p[1] as string)];
          }),
        });
      }
      break;
    case 'vector':
      for (const s of result as { metric: unknown; value: unknown[] }[]) {
        expect(isStringMap(s.metric)).toBe(true);
        expect(typeof s.value[0]).toBe('number');
        expect(typeof s.value[1]).toBe('string');
        frame.series.push({ metric: s.metric as Record<string, string>, points: [[s.value[0] as number, Number.parseFloat(s.value[1] as string)]] });
      }
      break;
    case 'scalar': {
      const [t, v] = result as [number, string];
      frame.scalar = [t, Number.parseFloat(v)];
      break;
    }
    default:
      throw new Error(`unknown resultType ${frame.resultType}`);
  }
  return frame;
}
