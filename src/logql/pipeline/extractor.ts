/**
 * Sample extraction for metric queries: the pipeline, then one value per entry (1, the line's
 * byte length, or an unwrapped label converted to a float), labelled by the grouping of the
 * range aggregation.
 */
import { canonicalLabels, type Labels, type Nanos } from '../../core/index.js';
import type { Grouping, Stage as StageNode, Unwrap } from '../syntax/ast.js';
import { convertBytes, convertDuration, convertFloat, durationSeconds, isConversionError } from './goconv.js';
import { compileLabelFilter, labelFilterNames, type LabelTest } from './label-filters.js';
import { ERR_SAMPLE_EXTRACTION, LabelSetCache, LabelsBuilder, type ParserHints } from './labels.js';
import { buildBlockFilter, decidedOnBytes } from './line-filters.js';
import { compileStages, earlyChecks, labelsUsedByStages, leadingLineFilters, parserHints, type Pipeline } from './pipeline.js';
import type { Stage } from './stage.js';

export interface Sample {
  value: number;
  labels: Labels;
  labelsKey: string;
}

export interface StreamSampleExtractor {
  process(ts: Nanos, line: string, metadata: Labels): Sample | undefined;
}

export interface SampleExtractor {
  forStream(streamLabels: Labels): StreamSampleExtractor;
  readonly blockFilter: Pipeline['blockFilter'];
  /**
   * True when the stages are line filters that `blockFilter` decides exactly and there is no
   * `unwrap`: each entry the block filter keeps is then a sample of 1 (or its bytes) with its
   * stream labels and metadata, as without any stage, so the engine need not make its line a
   * string to run the pipeline (`count_over_time({...} |= "error" [5m])`).
   */
  readonly decidedByBlockFilter: boolean;
}

/**
 * Whether `sum by/without (...)` may pass its grouping down to the range aggregation it wraps
 * (Loki does, when the range aggregation has no grouping of its own). It changes what
 * parsers run: `sum(count_over_time({...} | json [1m]))` never parses, so never fails.
 */
export function canInjectVectorGrouping(vectorOp: string, rangeOp: string): boolean {
  if (vectorOp !== 'sum') return false;
  return rangeOp === 'bytes_over_time' || rangeOp === 'bytes_rate' || rangeOp === 'sum_over_time' || rangeOp === 'rate' || rangeOp === 'count_over_time';
}

type Conversion = (value: string) => number | { error: string };

function conversionOf(unwrap: Unwrap): Conversion {
  switch (unwrap.conversion) {
    case 'bytes':
      return convertBytes;
    case 'duration':
    case 'duration_seconds':
      return (v) => {
        const d = convertDuration(v);
        return isConversionError(d) ? d : durationSeconds(d);
      };
    default:
      return convertFloat;
  }
}

interface ExtractorConfig {
  stages: readonly Stage[];
  groups: readonly string[];
  without: boolean;
  noLabels: boolean;
  hints: ParserHints;
  /** Line bytes (bytes_over_time, bytes_rate) rather than 1 per entry. */
  bytes: boolean;
  unwrap: { label: string; convert: Conversion; postFilters: readonly LabelTest[] } | undefined;
}

class StreamExtractor implements StreamSampleExtractor {
  constructor(
    private readonly cfg: ExtractorConfig,
    private readonly lb: LabelsBuilder,
  ) {}

  process(ts: Nanos, line: string, metadata: Labels): Sample | undefined {
    const { cfg, lb } = this;
    lb.reset();
    if (metadata.length > 0) lb.addMetadata(metadata);
    let current: string | undefined = line;
    for (let i = 0; i < cfg.stages.length; i++) {
      current = cfg.stages[i].process(ts, current, lb);
      if (current === undefined) return undefined;
    }
    let value: number;
    const unwrap = cfg.unwrap;
    if (unwrap === undefined) {
      value = cfg.bytes ? Buffer.byteLength(current, 'utf8') : 1;
    } else {
      const raw = lb.get(unwrap.label);
      if (raw === undefined || raw === '') return undefined;
      const v = unwrap.convert(raw);
      if (typeof v === 'number') value = v;
      else {
        value = 0;
        lb.setError(ERR_SAMPLE_EXTRACTION, v.error);
      }
      for (const f of unwrap.postFilters) if (!f.keep(lb)) return undefined;
    }
    const r = lb.groupedResult(cfg.groups, cfg.without, cfg.noLabels);
    return { value, labels: r.labels, labelsKey: r.key };
  }
}

class SampleExtractorImpl implements SampleExtractor {
  private readonly streams = new Map<string, StreamSampleExtractor>();
  private readonly cache = new LabelSetCache();

  constructor(
    private readonly cfg: ExtractorConfig,
    readonly blockFilter: Pipeline['blockFilter'],
    readonly decidedByBlockFilter: boolean,
  ) {}

  forStream(streamLabels: Labels): StreamSampleExtractor {
    const key = canonicalLabels(streamLabels);
    let se = this.streams.get(key);
    if (!se) {
      se = new StreamExtractor(this.cfg, new LabelsBuilder(streamLabels, this.cfg.hints, this.cache));
      this.streams.set(key, se);
    }
    return se;
  }
}

/**
 * The sample extractor of a range aggregation `op(<stages> [| unwrap ...] [range])`:
 * - without `unwrap`, each entry counts 1 (or its line bytes for `bytes_*`);
 * - with `unwrap`, the label's value converted (float, `bytes()`, `duration()`); an absent or
 *   empty label drops the entry, a failed conversion gives 0 with `SampleExtractionErr`, and
 *   the post-unwrap filters run after it; the unwrapped label leaves the sample labels unless
 *   a `by` grouping names it;
 * - `grouping` is the range aggregation's own, or a `sum` grouping pushed down (see
 *   canInjectVectorGrouping); `by ()` and `absent_over_time` give samples without labels, and
 *   a `by` grouping also tells parsers to extract only what is needed.
 * Entries that carry an error keep all their labels, so the engine can report them.
 */
export function buildSampleExtractor(stages: readonly StageNode[], op: string, unwrap?: Unwrap, grouping?: Grouping): SampleExtractor {
  const compiled = compileStages(stages);
  let groups = grouping ? [...grouping.labels].sort() : [];
  let without = grouping?.without ?? false;
  const noLabels = (grouping !== undefined && grouping.labels.length === 0 && !grouping.without) || op === 'absent_over_time';
  const needed = labelsUsedByStages(stages);
  let unwrapCfg: ExtractorConfig['unwrap'];
  if (unwrap) {
    if (groups.length === 0 || without) {
      without = true;
      groups = [...groups, unwrap.label].sort();
    }
    const postFilters = unwrap.postFilters.map((f) => {
      labelFilterNames(f, needed);
      return compileLabelFilter(f);
    });
    needed.add(unwrap.label);
    unwrapCfg = { label: unwrap.label, convert: conversionOf(unwrap), postFilters };
  }
  for (const g of groups) needed.add(g);
  // Loki narrows extraction only for `by` groupings (and for label-less samples), and then
  // runs label filters early only for label-less samples.
  const checks = earlyChecks(stages, unwrap?.postFilters);
  let hints: ParserHints;
  if (noLabels) hints = parserHints(needed, true, checks);
  else if (!without && groups.length > 0) hints = parserHints(needed, false, undefined);
  else hints = parserHints(undefined, false, checks);
  const cfg: ExtractorConfig = {
    stages: compiled,
    groups,
    without,
    noLabels,
    hints,
    bytes: op === 'bytes_over_time' || op === 'bytes_rate',
    unwrap: unwrapCfg,
  };
  const blockFilter = buildBlockFilter(leadingLineFilters(stages));
  const decided = blockFilter !== undefined && unwrap === undefined && stages.every((s) => s.type === 'lineFilter' && decidedOnBytes(s));
  return new SampleExtractorImpl(cfg, blockFilter, decided);
}

