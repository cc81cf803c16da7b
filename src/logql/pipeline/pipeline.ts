/**
 * Compiles a query's stages into a pipeline, once per query, and specialises it per stream.
 *
 * Stage order follows Loki (§7.1): within each segment ended by a label filter, a
 * `line_format` or an `unpack`, the line filters run first, on the line as the segment
 * received it (so `| decolorize |= "x"` tests the raw line). The line filters of the first
 * segment also make up the block prefilter.
 */
import { LokiError, canonicalLabels, type Labels, type Nanos } from '../../core/index.js';
import type { LabelFilter, LineFilterStage, Stage as StageNode } from '../syntax/ast.js';
import { printStage } from '../syntax/printer.js';
import { JsonExpressionParser, JsonParser, UnpackParser } from './json.js';
import { LabelFilterStage, compileLabelFilter, labelFilterNames } from './label-filters.js';
import { LabelSetCache, LabelsBuilder, ParserHints, DUPLICATE_SUFFIX, type EntryCheck, type LabelSet } from './labels.js';
import { allOf, buildBlockFilter, compileLineFilter, type BlockFilterFn, type LineTest } from './line-filters.js';
import { LogfmtExpressionParser, LogfmtParser } from './logfmt.js';
import {
  DecolorizeStage,
  DropStage,
  KeepStage,
  LabelFormatStage,
  LineFormatStage,
  PatternParser,
  RegexpParser,
  templateFields,
} from './format.js';
import type { Stage } from './stage.js';

/** The labels of a processed entry, in Loki's three categories (for categorize-labels). */
export interface ProcessedEntry {
  line: string;
  /** All labels after the pipeline: stream + structured metadata + parsed, minus dropped; sorted. */
  labels: Labels;
  /** Canonical string of `labels`. */
  labelsKey: string;
  /** Only structured-metadata labels still present; sorted. */
  structuredMetadata: Labels;
  /** Only labels the pipeline added or changed (parsers, label_format, __error__); sorted. */
  parsed: Labels;
}

export interface StreamPipeline {
  /** Undefined when the entry is filtered out. */
  process(ts: Nanos, line: string, metadata: Labels): ProcessedEntry | undefined;
}

export interface Pipeline {
  /** Specialises the pipeline for one stream (cached by the stream's labels). */
  forStream(streamLabels: Labels): StreamPipeline;
  /** True when there are no stages at all (the engine can skip processing). */
  readonly isNoop: boolean;
  /**
   * A prefilter for whole decoded blocks, from the leading line filters that can be decided
   * on raw bytes; returns a mask (1 = may pass) or undefined for "all". A line it rejects is
   * one the pipeline would drop.
   */
  readonly blockFilter: BlockFilterFn | undefined;
}

/** The line filters of one segment, ANDed. */
class LineFilterGroup implements Stage {
  constructor(private readonly test: LineTest) {}
  process(_ts: Nanos, line: string): string | undefined {
    return this.test.test(line) ? line : undefined;
  }
}

type OtherStageNode = Exclude<StageNode, LineFilterStage>;

/** Loki's reordering: the stages in execution order, line filters grouped per segment. */
export function reorderStages(stages: readonly StageNode[]): (OtherStageNode | LineFilterStage[])[] {
  const result: (OtherStageNode | LineFilterStage[])[] = [];
  let lineFilters: LineFilterStage[] = [];
  let others: OtherStageNode[] = [];
  const flush = () => {
    if (lineFilters.length > 0) result.push(lineFilters);
    result.push(...others);
    lineFilters = [];
    others = [];
  };
  for (const s of stages) {
    switch (s.type) {
      case 'lineFilter':
        lineFilters.push(s);
        break;
      case 'labelFilter':
        flush();
        result.push(s);
        break;
      case 'lineFormat':
      case 'unpack':
        others.push(s);
        flush();
        break;
      default:
        others.push(s);
    }
  }
  flush();
  return result;
}

/** `|= ""` alone keeps every line: no need to run it. */
function isTrivial(f: LineFilterStage): boolean {
  return f.op === '|=' && f.operands.length === 1 && !f.operands[0].ip && f.operands[0].match === '';
}

/**
 * Wraps a build failure the way Loki reports it: `stage '<stage>' : <error>`, where a line
 * filter's stage is the whole run of line filters Loki merged it into.
 */
function stageError(nodes: readonly StageNode[], e: unknown): never {
  const msg = e instanceof Error ? e.message : String(e);
  throw new LokiError('parse_error', `parse error : stage '${nodes.map(printStage).join(' ')}' : ${msg}`);
}

function compileStage(s: OtherStageNode): Stage {
  switch (s.type) {
    case 'json':
      return s.extractions.length === 0 ? new JsonParser() : new JsonExpressionParser(s.extractions);
    case 'logfmt':
      return s.extractions.length === 0 ? new LogfmtParser(s.strict, s.keepEmpty) : new LogfmtExpressionParser(s.extractions, s.strict);
    case 'regexp':
      return new RegexpParser(s.regex);
    case 'pattern':
      return new PatternParser(s.pattern);
    case 'unpack':
      return new UnpackParser();
    case 'labelFilter':
      return new LabelFilterStage(compileLabelFilter(s.filter));
    case 'lineFormat':
      return new LineFormatStage(s.template);
    case 'labelFormat':
      return new LabelFormatStage(s.formats);
    case 'decolorize':
      return new DecolorizeStage();
    case 'drop':
      return new DropStage(s.labels);
    case 'keep':
      return new KeepStage(s.labels);
  }
}

/** Compiles stages in execution order; each error names the stage that caused it. */
export function compileStages(stages: readonly StageNode[]): Stage[] {
  const out: Stage[] = [];
  for (const item of reorderStages(stages)) {
    if (Array.isArray(item)) {
      const tests: LineTest[] = [];
      for (const f of item) {
        if (isTrivial(f)) continue;
        try {
          tests.push(compileLineFilter(f));
        } catch (e) {
          stageError(item, e);
        }
      }
      if (tests.length > 0) out.push(new LineFilterGroup(allOf(tests)));
      continue;
    }
    try {
      out.push(compileStage(item));
    } catch (e) {
      stageError([item], e);
    }
  }
  return out;
}

/** The line filters that run first, on the raw line (the first segment's). */
export function leadingLineFilters(stages: readonly StageNode[]): LineFilterStage[] {
  const first = reorderStages(stages)[0];
  return Array.isArray(first) ? first : [];
}

/**
 * Label names the stages themselves read (label filters, templates, renames): parsers must
 * extract them even when the query narrows what it needs.
 */
export function labelsUsedByStages(stages: readonly StageNode[], out: Set<string> = new Set()): Set<string> {
  for (const s of stages) {
    switch (s.type) {
      case 'labelFilter':
        labelFilterNames(s.filter, out);
        break;
      case 'lineFormat':
        templateFields(s.template, out);
        break;
      case 'labelFormat':
        for (const f of s.formats) {
          if (f.rename) out.add(f.value);
          else templateFields(f.value, out);
        }
        break;
      default:
        break;
    }
  }
  return out;
}

/**
 * The single-label filters parsers run early (ParserHints.earlyChecks): the first filter per
 * label name among the stages and `extra` (unwrap post-filters); `and`/`or` are not used.
 */
export function earlyChecks(stages: readonly StageNode[], extra: readonly LabelFilter[] = []): Map<string, EntryCheck> {
  const checks = new Map<string, EntryCheck>();
  const filters = [...stages.flatMap((s) => (s.type === 'labelFilter' ? [s.filter] : [])), ...extra];
  for (const f of filters) {
    if (f.kind === 'and' || f.kind === 'or') continue;
    const name = f.kind === 'string' ? f.matcher.name : f.name;
    if (!checks.has(name)) checks.set(name, compileLabelFilter(f));
  }
  return checks;
}

/**
 * Loki's parser hints: parsers extract only `needed` (all keys when undefined or empty, none
 * for `noLabels` with nothing needed). A name ending in `_extracted` also asks for its base
 * name, as the parser decides the suffix.
 */
export function parserHints(
  needed: Iterable<string> | undefined,
  noLabels: boolean,
  checks: ReadonlyMap<string, EntryCheck> | undefined,
): ParserHints {
  const required = new Set<string>();
  for (const name of needed ?? []) {
    if (name === '') continue;
    required.add(name);
    if (name.endsWith(DUPLICATE_SUFFIX)) required.add(name.slice(0, -DUPLICATE_SUFFIX.length));
  }
  if (required.size > 0) return new ParserHints(required, false, checks);
  return noLabels ? new ParserHints(undefined, true) : new ParserHints(undefined, false, checks);
}

class StreamPipelineImpl implements StreamPipeline {
  constructor(
    private readonly stages: readonly Stage[],
    private readonly lb: LabelsBuilder,
  ) {}

  process(ts: Nanos, line: string, metadata: Labels): ProcessedEntry | undefined {
    const lb = this.lb;
    lb.reset();
    if (metadata.length > 0) lb.addMetadata(metadata);
    let current: string | undefined = line;
    const stages = this.stages;
    for (let i = 0; i < stages.length; i++) {
      current = stages[i].process(ts, current, lb);
      if (current === undefined) return undefined;
    }
    const r: LabelSet = lb.result();
    return { line: current, labels: r.labels, labelsKey: r.key, structuredMetadata: r.structuredMetadata, parsed: r.parsed };
  }
}

class PipelineImpl implements Pipeline {
  private readonly streams = new Map<string, StreamPipeline>();
  private readonly cache = new LabelSetCache();
  readonly isNoop: boolean;
  readonly blockFilter: BlockFilterFn | undefined;

  constructor(
    private readonly stages: readonly Stage[],
    private readonly hints: ParserHints,
    blockFilter: BlockFilterFn | undefined,
  ) {
    this.isNoop = stages.length === 0;
    this.blockFilter = blockFilter;
  }

  forStream(streamLabels: Labels): StreamPipeline {
    const key = canonicalLabels(streamLabels);
    let sp = this.streams.get(key);
    if (!sp) {
      sp = new StreamPipelineImpl(this.stages, new LabelsBuilder(streamLabels, this.hints, this.cache));
      this.streams.set(key, sp);
    }
    return sp;
  }
}

/**
 * Builds the pipeline of a log query. `requiredLabels` narrows what parsers extract to those
 * names (plus what the stages read): only for callers that project the result onto them —
 * a log query returns every label and must not pass it.
 */
export function buildPipeline(stages: readonly StageNode[], opts: { requiredLabels?: ReadonlySet<string> } = {}): Pipeline {
  const compiled = compileStages(stages);
  const needed = opts.requiredLabels ? [...opts.requiredLabels, ...labelsUsedByStages(stages)] : undefined;
  const hints = parserHints(needed, false, earlyChecks(stages));
  return new PipelineImpl(compiled, hints, buildBlockFilter(leadingLineFilters(stages)));
}
