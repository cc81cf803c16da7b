/**
 * The label state of one entry while it goes through the pipeline, in Loki's three categories
 * (stream, structured metadata, parsed) plus the error pair, with Loki's precedence rules:
 * - a metadata name that is also a stream label is stored as `<name>_extracted`;
 * - setting a parsed label removes a metadata label of the same name, and a metadata label
 *   is not set over a parsed one; stream labels are hidden by either;
 * - parsers rename a key that exists as a stream label or metadata to `<key>_extracted`
 *   (they do that themselves, through `conflicts`), and skip a key this entry
 *   already extracted (`isExtracted`: the first occurrence wins, across all parsers).
 *
 * One builder serves one stream and is reset per entry: the hot path reuses its arrays and
 * only allocates when a label set is seen for the first time (results are cached by a
 * signature of the categorised labels).
 */
import { goQuote, type LabelPair, type Labels } from '../../core/index.js';
import { clearArray } from './stage.js';

export const ERROR_LABEL = '__error__';
export const ERROR_DETAILS_LABEL = '__error_details__';
/** Loki's internal marker; `keep` never removes it. */
export const PRESERVE_ERROR_LABEL = '__preserve_error__';
export const DUPLICATE_SUFFIX = '_extracted';

export const ERR_JSON = 'JSONParserErr';
export const ERR_LOGFMT = 'LogfmtParserErr';
export const ERR_SAMPLE_EXTRACTION = 'SampleExtractionErr';
export const ERR_LABEL_FILTER = 'LabelFilterErr';
export const ERR_TEMPLATE_FORMAT = 'TemplateFormatErr';

/** A label set as the pipeline hands it out: sorted, with its key and its categories. */
export interface LabelSet {
  readonly labels: Labels;
  readonly key: string;
  readonly structuredMetadata: Labels;
  readonly parsed: Labels;
}

const NO_LABELS: Labels = Object.freeze([]) as Labels;

function byName(a: LabelPair, b: LabelPair): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

function labelSetOf(labels: Labels, structuredMetadata: Labels = NO_LABELS, parsed: Labels = NO_LABELS): LabelSet {
  return { labels, key: labelsKey(labels), structuredMetadata, parsed };
}

const EMPTY_LABEL_SET: LabelSet = labelSetOf(NO_LABELS);

/** A label filter as parsers can run it early (see ParserHints.earlyChecks). */
export interface EntryCheck {
  keep(lb: LabelsBuilder): boolean;
}

/**
 * Which labels parsers should extract ("only what the query needs"). `undefined` required
 * means every key; `noLabels` means none (a metric query grouped `by ()` with no label used).
 *
 * `earlyChecks` are the query's single-label filters by label name (the first per name), as
 * Loki hands them to parsers: right after a parser sets such a label it runs the filter, and
 * drops the entry at once when it fails, without parsing the rest of the line. This also
 * applies a filter to a value that a later stage would have changed (a Loki quirk).
 */
export class ParserHints {
  private readonly requiredList: readonly string[];
  /** How many names `required` lists (0 when every key is wanted). */
  readonly requiredCount: number;

  constructor(
    readonly required: ReadonlySet<string> | undefined,
    readonly noLabels: boolean,
    readonly earlyChecks?: ReadonlyMap<string, EntryCheck>,
  ) {
    this.requiredList = required ? [...required] : [];
    this.requiredCount = this.requiredList.length;
  }

  static readonly ALL = new ParserHints(undefined, false);

  shouldExtract(key: string): boolean {
    return this.required === undefined || this.required.has(key);
  }

  /** Whether a nested JSON object whose flattened prefix is `prefix` can hold a needed key. */
  shouldExtractPrefix(prefix: string): boolean {
    if (this.required === undefined) return true;
    for (const name of this.requiredList) if (name.startsWith(prefix)) return true;
    return false;
  }
}

/**
 * Bounded cache of label-set results shared by all streams of one pipeline. Clearing when
 * full keeps memory bounded for high-cardinality parsed labels (one entry per distinct set).
 * When nearly every lookup misses (a request id in every line), building the signature costs
 * more than it saves, so the cache stands aside for a while and then tries again.
 */
export class LabelSetCache {
  private readonly map = new Map<string, LabelSet>();
  private readonly singles = new Map<string, Map<string, LabelSet>>();
  static readonly MAX_ENTRIES = 20_000;
  /** Lookups per hit-rate sample, and results built without the cache after a poor sample. */
  private static readonly WINDOW = 512;
  private static readonly BYPASS = 16_384;
  private lookups = 0;
  private hits = 0;
  private bypassLeft = 0;
  private streams = 0;

  /** A short id for a stream's builder, standing for its stream labels in cache keys. */
  nextStreamId(): number {
    return this.streams++;
  }

  /** Whether to look the next result up at all. */
  active(): boolean {
    if (this.bypassLeft === 0) return true;
    this.bypassLeft--;
    return false;
  }

  get(signature: string): LabelSet | undefined {
    const v = this.map.get(signature);
    if (v !== undefined) this.hits++;
    if (++this.lookups === LabelSetCache.WINDOW) {
      // Under one hit in eight, signatures are wasted work.
      if (this.hits * 8 < this.lookups) this.bypassLeft = LabelSetCache.BYPASS;
      this.lookups = 0;
      this.hits = 0;
    }
    return v;
  }

  put(signature: string, value: LabelSet): void {
    if (this.map.size >= LabelSetCache.MAX_ENTRIES) this.map.clear();
    this.map.set(signature, value);
  }

  /** The set `{name=value}`, by name then value (no signature to build for one label). */
  singleLabel(name: string, value: string): LabelSet {
    let byValue = this.singles.get(name);
    if (byValue === undefined) {
      byValue = new Map();
      this.singles.set(name, byValue);
    }
    let set = byValue.get(value);
    if (set === undefined) {
      if (byValue.size >= LabelSetCache.MAX_ENTRIES) byValue.clear();
      set = labelSetOf([{ name, value }]);
      byValue.set(value, set);
    }
    return set;
  }
}

/** Characters goQuote escapes: with none of them, a value is quoted as is. */
const NEEDS_GO_QUOTING = /["\\\u0000-\u001f\u007f-\u009f\u00ad\ud800-\udfff]/;

/** canonicalLabels (core) with a fast path for values that need no escaping. */
function labelsKey(labels: Labels): string {
  let out = '{';
  for (let i = 0; i < labels.length; i++) {
    if (i > 0) out += ', ';
    const v = labels[i].value;
    out += labels[i].name + '=' + (NEEDS_GO_QUOTING.test(v) ? goQuote(v) : '"' + v + '"');
  }
  return out + '}';
}

/** Above this many parsed labels, name lookups go through a Map/Set index. */
const INDEX_FROM = 32;

const CATEGORY_STREAM = 0;
const CATEGORY_METADATA = 1;
const CATEGORY_PARSED = 2;

export class LabelsBuilder {
  private readonly baseMap: Map<string, string>;
  /** The stream's own result, used while an entry changes nothing. */
  readonly baseResult: LabelSet;
  private metaNames: string[] = [];
  private metaValues: string[] = [];
  private parsedNames: string[] = [];
  private parsedValues: string[] = [];
  private deleted: string[] = [];
  /** Parsed names set during this entry, even if later deleted (Loki's "extracted" hints). */
  private extracted: string[] = [];
  /**
   * Name indexes, built only for entries with many parsed labels: linear searches are fastest
   * for the usual dozen, but a line with thousands of keys would make them quadratic.
   */
  private parsedIndex: Map<string, number> | undefined;
  private extractedIndex: Set<string> | undefined;
  private requiredFound = 0;
  err = '';
  errDetails = '';

  // Scratch buffers for building results (reused).
  private scratch: LabelPair[] = [];
  private scratchCategory: number[] = [];
  private baseGroupResult: LabelSet | undefined;
  /** This stream in cache keys. */
  private readonly streamId: string;

  constructor(
    readonly base: Labels,
    readonly hints: ParserHints,
    private readonly cache: LabelSetCache,
  ) {
    this.baseMap = new Map(base.map((l) => [l.name, l.value]));
    this.baseResult = labelSetOf(base);
    this.streamId = `${cache.nextStreamId()}`;
  }

  reset(): void {
    clearArray(this.metaNames);
    clearArray(this.metaValues);
    clearArray(this.parsedNames);
    clearArray(this.parsedValues);
    clearArray(this.deleted);
    clearArray(this.extracted);
    this.parsedIndex = undefined;
    this.extractedIndex = undefined;
    this.requiredFound = 0;
    this.err = '';
    this.errDetails = '';
  }

  private findParsed(name: string): number {
    if (this.parsedIndex !== undefined) return this.parsedIndex.get(name) ?? -1;
    return this.parsedNames.indexOf(name);
  }

  private removeParsed(i: number): void {
    this.parsedNames.splice(i, 1);
    this.parsedValues.splice(i, 1);
    if (this.parsedIndex !== undefined) this.indexParsed();
  }

  private indexParsed(): void {
    this.parsedIndex = new Map();
    for (let i = 0; i < this.parsedNames.length; i++) this.parsedIndex.set(this.parsedNames[i], i);
  }

  /** Adds an entry's structured metadata (error labels in metadata set the error state). */
  addMetadata(metadata: Labels): void {
    for (let i = 0; i < metadata.length; i++) {
      let name = metadata[i].name;
      const value = metadata[i].value;
      if (this.baseMap.has(name)) name += DUPLICATE_SUFFIX;
      if (name === ERROR_LABEL) this.err = value;
      else if (name === ERROR_DETAILS_LABEL) this.errDetails = value;
      else this.setMetadata(name, value);
    }
  }

  private setMetadata(name: string, value: string): void {
    if (this.findParsed(name) >= 0) return;
    const i = this.metaNames.indexOf(name);
    if (i >= 0) this.metaValues[i] = value;
    else {
      this.metaNames.push(name);
      this.metaValues.push(value);
    }
  }

  /**
   * True when parsers must rename `name` to `name_extracted`: the stream has it (deleted or
   * not, as Loki's `BaseHas`) or the entry's metadata does.
   */
  conflicts(name: string): boolean {
    return this.baseMap.has(name) || this.metaNames.indexOf(name) >= 0;
  }

  isExtracted(name: string): boolean {
    if (this.extractedIndex !== undefined) return this.extractedIndex.has(name);
    return this.extracted.indexOf(name) >= 0;
  }

  /** False when an early check on the label a parser just set drops the entry. */
  continueParsing(name: string): boolean {
    const check = this.hints.earlyChecks?.get(name);
    return check === undefined || check.keep(this);
  }

  /** Loki's `NoLabels()`: nothing to extract, or everything needed already is. */
  noLabelsToExtract(): boolean {
    return this.hints.noLabels || this.allRequiredExtracted();
  }

  allRequiredExtracted(): boolean {
    const n = this.hints.requiredCount;
    return n > 0 && this.requiredFound >= n;
  }

  /** The current value of a label (parsed, metadata, then stream unless deleted). */
  get(name: string): string | undefined {
    let i = this.findParsed(name);
    if (i >= 0) return this.parsedValues[i];
    i = this.metaNames.indexOf(name);
    if (i >= 0) return this.metaValues[i];
    if (this.deleted.length > 0 && this.deleted.indexOf(name) >= 0) return undefined;
    const v = this.baseMap.get(name);
    return v === '' ? undefined : v;
  }

  /** Sets a parsed label (what parsers and label_format add). */
  set(name: string, value: string): void {
    const m = this.metaNames.indexOf(name);
    if (m >= 0) {
      this.metaNames.splice(m, 1);
      this.metaValues.splice(m, 1);
    }
    const i = this.findParsed(name);
    if (i >= 0) {
      this.parsedValues[i] = value;
      return;
    }
    this.parsedNames.push(name);
    this.parsedValues.push(value);
    if (this.parsedIndex !== undefined) this.parsedIndex.set(name, this.parsedNames.length - 1);
    else if (this.parsedNames.length > INDEX_FROM) this.indexParsed();
    if (!this.isExtracted(name)) {
      this.extracted.push(name);
      if (this.extractedIndex !== undefined) this.extractedIndex.add(name);
      else if (this.extracted.length > INDEX_FROM) this.extractedIndex = new Set(this.extracted);
      if (this.hints.required?.has(name)) this.requiredFound++;
    }
  }

  delete(name: string): void {
    let i = this.findParsed(name);
    if (i >= 0) this.removeParsed(i);
    i = this.metaNames.indexOf(name);
    if (i >= 0) {
      this.metaNames.splice(i, 1);
      this.metaValues.splice(i, 1);
    }
    this.deleted.push(name);
  }

  setError(err: string, details: string | undefined): void {
    this.err = err;
    if (details !== undefined) this.errDetails = details;
  }

  hasError(): boolean {
    return this.err !== '';
  }

  private changed(): boolean {
    return this.parsedNames.length > 0 || this.metaNames.length > 0 || this.deleted.length > 0;
  }

  /**
   * Every current label with its category, unsorted, into the scratch buffers: stream labels
   * not deleted nor overridden, metadata, parsed, then the error pair.
   */
  private collect(): void {
    const out = this.scratch;
    const cats = this.scratchCategory;
    clearArray(out);
    clearArray(cats);
    for (let i = 0; i < this.base.length; i++) {
      const l = this.base[i];
      if (!this.baseVisible(l.name)) continue;
      out.push(l);
      cats.push(CATEGORY_STREAM);
    }
    for (let i = 0; i < this.metaNames.length; i++) {
      out.push({ name: this.metaNames[i], value: this.metaValues[i] });
      cats.push(CATEGORY_METADATA);
    }
    for (let i = 0; i < this.parsedNames.length; i++) {
      out.push({ name: this.parsedNames[i], value: this.parsedValues[i] });
      cats.push(CATEGORY_PARSED);
    }
    if (this.err !== '') {
      out.push({ name: ERROR_LABEL, value: this.err });
      cats.push(CATEGORY_PARSED);
    }
    if (this.errDetails !== '') {
      out.push({ name: ERROR_DETAILS_LABEL, value: this.errDetails });
      cats.push(CATEGORY_PARSED);
    }
  }

  /** The current labels as a map (template data): includes the error pair. */
  toRecord(): Record<string, string> {
    this.collect();
    const rec: Record<string, string> = {};
    for (const l of this.scratch) rec[l.name] = l.value;
    return rec;
  }

  /** Current labels, unsorted (what `keep` walks). */
  currentLabels(): LabelPair[] {
    this.collect();
    return this.scratch.slice();
  }

  /** Whether a stream label is still visible (not deleted, not overridden by metadata or a parsed label). */
  private baseVisible(name: string): boolean {
    if (this.deleted.length > 0 && this.deleted.indexOf(name) >= 0) return false;
    return this.metaNames.indexOf(name) < 0 && this.findParsed(name) < 0;
  }

  /**
   * A key for the result cache, built without objects: the stream (its visible labels follow
   * from the stream, the deletions and the names metadata and parsed labels take over), then
   * every metadata and parsed label with its value, then the error pair.
   */
  private signature(): string {
    let sig = this.streamId;
    for (let i = 0; i < this.deleted.length; i++) sig += `D${this.deleted[i].length}:${this.deleted[i]}`;
    for (let i = 0; i < this.metaNames.length; i++) {
      const name = this.metaNames[i];
      const value = this.metaValues[i];
      sig += `M${name.length}:${name}${value.length}:${value}`;
    }
    for (let i = 0; i < this.parsedNames.length; i++) {
      const name = this.parsedNames[i];
      const value = this.parsedValues[i];
      sig += `P${name.length}:${name}${value.length}:${value}`;
    }
    return `${sig}E${this.err.length}:${this.err}${this.errDetails}`;
  }

  /** The full result of the entry (stream + metadata + parsed + errors), cached. */
  result(): LabelSet {
    if (!this.changed() && this.err === '' && this.errDetails === '') return this.baseResult;
    let sig: string | undefined;
    if (this.cache.active()) {
      sig = this.signature();
      const cached = this.cache.get(sig);
      if (cached) return cached;
    }
    this.collect();
    const out = this.scratch;
    const cats = this.scratchCategory;
    // The scratch pairs are fresh objects (or shared immutable stream pairs): keep them.
    const labels = out.slice();
    const meta: LabelPair[] = [];
    const parsed: LabelPair[] = [];
    for (let i = 0; i < out.length; i++) {
      if (cats[i] === CATEGORY_METADATA) meta.push(out[i]);
      else if (cats[i] === CATEGORY_PARSED) parsed.push(out[i]);
    }
    labels.sort(byName);
    if (meta.length > 1) meta.sort(byName);
    if (parsed.length > 1) parsed.sort(byName);
    const res = labelSetOf(labels, meta.length > 0 ? meta : NO_LABELS, parsed.length > 0 ? parsed : NO_LABELS);
    if (sig !== undefined) this.cache.put(sig, res);
    return res;
  }

  /**
   * The labels of a sample under a range aggregation's grouping (Loki's `GroupedLabels`): an
   * entry with an error keeps all its labels (so the engine can report it); `noLabels` gives
   * the empty set; `by` keeps the listed labels, `without` drops them.
   */
  groupedResult(groups: readonly string[], without: boolean, noLabels: boolean): LabelSet {
    if (this.err !== '') return this.result();
    if (noLabels) return EMPTY_LABEL_SET;
    if (!this.changed()) {
      if (groups.length === 0) return this.baseResult;
      this.baseGroupResult ??= this.groupOf(groups, without);
      return this.baseGroupResult;
    }
    if (groups.length === 0) return this.result();
    return without ? this.groupWithout(groups) : this.groupBy(groups);
  }

  /**
   * A `by` grouping of a changed entry. When the entry changed none of the grouped labels (all
   * are stream labels, as `by (app)` over parsed lines) it is the stream's grouping, with no
   * per-entry work; a single grouped label is looked up by its value; otherwise a signature of
   * the grouped values alone (the names are the grouping's, the same on every call) finds the
   * result without building label pairs.
   */
  private groupBy(groups: readonly string[]): LabelSet {
    if (!this.changesAny(groups)) {
      this.baseGroupResult ??= this.groupOf(groups, false);
      return this.baseGroupResult;
    }
    if (groups.length === 1) return this.groupByChanged(groups[0]);
    if (!this.cache.active()) return this.groupOf(groups, false);
    let sig = 'B';
    for (let k = 0; k < groups.length; k++) {
      const g = groups[k];
      // `-` for an absent label; a present one (an entry's may be empty) starts with a digit.
      if (this.deleted.length > 0 && this.deleted.indexOf(g) >= 0) {
        sig += '-';
        continue;
      }
      let i = this.metaNames.indexOf(g);
      if (i >= 0) {
        sig += `${this.metaValues[i].length}:${this.metaValues[i]}`;
        continue;
      }
      i = this.findParsed(g);
      if (i >= 0) {
        sig += `${this.parsedValues[i].length}:${this.parsedValues[i]}`;
        continue;
      }
      const v = this.baseMap.get(g);
      sig += v === undefined || v === '' ? '-' : `${v.length}:${v}`;
    }
    const cached = this.cache.get(sig);
    if (cached) return cached;
    const res = this.groupOf(groups, false);
    this.cache.put(sig, res);
    return res;
  }

  /** `by (name)` when the entry deleted `name` or set it (as metadata or parsed). */
  private groupByChanged(name: string): LabelSet {
    // The order of collectGroup: a deletion first, then metadata, then parsed.
    if (this.deleted.length > 0 && this.deleted.indexOf(name) >= 0) return EMPTY_LABEL_SET;
    const i = this.metaNames.indexOf(name);
    return this.cache.singleLabel(name, i >= 0 ? this.metaValues[i] : this.parsedValues[this.findParsed(name)]);
  }

  /** Whether the entry deleted, or set as metadata or parsed, any of `names`. */
  private changesAny(names: readonly string[]): boolean {
    for (let k = 0; k < names.length; k++) {
      const n = names[k];
      if (this.findParsed(n) >= 0 || this.metaNames.indexOf(n) >= 0) return true;
      if (this.deleted.length > 0 && this.deleted.indexOf(n) >= 0) return true;
    }
    return false;
  }

  /** A `without` grouping of a changed entry, cached by a signature of the remaining pairs. */
  private groupWithout(groups: readonly string[]): LabelSet {
    if (!this.cache.active()) return this.groupOf(groups, true);
    this.collectGroup(groups, true);
    let sig = 'G';
    for (const { name, value } of this.scratch) sig += `${name.length}:${name}${value.length}:${value}`;
    const cached = this.cache.get(sig);
    if (cached) return cached;
    const res = labelSetOf(this.scratch.slice().sort(byName));
    this.cache.put(sig, res);
    return res;
  }

  private groupOf(groups: readonly string[], without: boolean): LabelSet {
    this.collectGroup(groups, without);
    return labelSetOf(this.scratch.slice().sort(byName));
  }

  /** The grouped labels of the entry, unsorted, into the scratch buffer. */
  private collectGroup(groups: readonly string[], without: boolean): void {
    const out = this.scratch;
    clearArray(out);
    if (without) {
      for (const l of this.base) {
        if (this.baseVisible(l.name) && groups.indexOf(l.name) < 0) out.push(l);
      }
      for (let i = 0; i < this.metaNames.length; i++) {
        if (groups.indexOf(this.metaNames[i]) < 0) out.push({ name: this.metaNames[i], value: this.metaValues[i] });
      }
      for (let i = 0; i < this.parsedNames.length; i++) {
        if (groups.indexOf(this.parsedNames[i]) < 0) out.push({ name: this.parsedNames[i], value: this.parsedValues[i] });
      }
    } else {
      for (const g of groups) {
        // Loki looks at deletions first: a deleted name is not grouped on even if re-added.
        if (this.deleted.indexOf(g) >= 0) continue;
        let i = this.metaNames.indexOf(g);
        if (i >= 0) {
          out.push({ name: g, value: this.metaValues[i] });
          continue;
        }
        i = this.findParsed(g);
        if (i >= 0) {
          out.push({ name: g, value: this.parsedValues[i] });
          continue;
        }
        const v = this.baseMap.get(g);
        if (v !== undefined && v !== '') out.push({ name: g, value: v });
      }
    }
  }
}
