/** Builds pipelines from query text, as the engine will, and runs single entries through them. */
import { labelsFromRecord, labelsToRecord, type Labels } from '../../../src/core/index.js';
import { parseExpr, type LogExpr, type RangeAggregationExpr } from '../../../src/logql/syntax/index.js';
import { buildPipeline, buildSampleExtractor, type ProcessedEntry } from '../../../src/logql/pipeline/index.js';

export function logQuery(query: string): LogExpr {
  const e = parseExpr(query);
  if (e.type !== 'log') throw new Error(`not a log query: ${query}`);
  return e;
}

export function rangeQuery(query: string): RangeAggregationExpr {
  const e = parseExpr(query);
  if (e.type !== 'rangeAggregation') throw new Error(`not a range aggregation: ${query}`);
  return e;
}

/** Runs one line through `query`'s pipeline for a stream `{app="a"}` unless told otherwise. */
export function run(
  query: string,
  line: string,
  stream: Record<string, string> = { app: 'a' },
  metadata: Record<string, string> = {},
): ProcessedEntry | undefined {
  const p = buildPipeline(logQuery(query).stages);
  return p.forStream(labelsFromRecord(stream)).process(1n, line, metadataOf(metadata));
}

/** Metadata in the order given (the ingester sorts it; tests keep it small). */
export function metadataOf(md: Record<string, string>): Labels {
  return labelsFromRecord(md);
}

/** The final labels of an entry as a record, or `dropped`. */
export function labelsAfter(
  query: string,
  line: string,
  stream: Record<string, string> = { app: 'a' },
  metadata: Record<string, string> = {},
): Record<string, string> | 'dropped' {
  const r = run(query, line, stream, metadata);
  return r === undefined ? 'dropped' : labelsToRecord(r.labels);
}

/** The final line, or `dropped`. */
export function lineAfter(query: string, line: string, stream: Record<string, string> = { app: 'a' }): string | 'dropped' {
  const r = run(query, line, stream);
  return r === undefined ? 'dropped' : r.line;
}

/** Runs the extractor of a range aggregation over one entry. */
export function sample(
  query: string,
  line: string,
  stream: Record<string, string> = { app: 'a' },
  metadata: Record<string, string> = {},
): { value: number; labels: Record<string, string> } | 'dropped' {
  const r = rangeQuery(query);
  const ex = buildSampleExtractor(r.range.selector.stages, r.op, r.range.unwrap, r.grouping);
  const s = ex.forStream(labelsFromRecord(stream)).process(1n, line, metadataOf(metadata));
  return s === undefined ? 'dropped' : { value: s.value, labels: labelsToRecord(s.labels) };
}
