/**
 * `| json`, `| json a="path", ...` and `| unpack`.
 */
import { LokiError, type Nanos } from '../../core/index.js';
import type { LabelExtraction } from '../syntax/ast.js';
import { DUPLICATE_SUFFIX, ERR_JSON, type LabelsBuilder, type ParserHints } from './labels.js';
import {
  FieldVisitor,
  JsonType,
  KeyMemo,
  findPath,
  jsonStringLabelValue,
  objectEach,
  unescapeJson,
  MALFORMED_STRING_ESCAPE,
  type JsonValue,
} from './jsonscan.js';
import { KeyCache, appendSanitized, clearArray, goTrimSpace, sanitizeLabelKey, type Stage } from './stage.js';

/** Returned by a visitor to end the walk early without an error. */
const STOP = '\u0000stop';
/** Returned by a visitor when an early label check dropped the entry. */
const DROP = '\u0000drop';

/**
 * Objects nested deeper than this give no labels: the walk recurses per level and rescans each
 * nested block, so unbounded depth could exhaust the stack or take quadratic time on a hostile
 * line (Loki has no limit; real logs never come close).
 */
export const MAX_JSON_DEPTH = 64;

function leafValue(s: string, start: number, end: number, type: JsonType): string {
  switch (type) {
    case JsonType.String:
      return jsonStringLabelValue(s.slice(start, end));
    case JsonType.Number:
      return s.slice(start, end);
    case JsonType.Boolean:
      return s.charCodeAt(start) === 0x74 ? 'true' : 'false';
    default:
      return '';
  }
}

/** What a top-level key means for the parser's hints, worked out once per distinct key. */
interface TopLevelKey {
  /** The sanitised key ('' for a blank key, which gives no label). */
  readonly name: string;
  /** `name` renamed for a conflict with a stream label or metadata. */
  readonly renamed: string;
  /** Whether a leaf under this key can be extracted, under either name. */
  readonly leafWanted: boolean;
  /** Whether an object under this key can hold a wanted label. */
  readonly objectWanted: boolean;
  /**
   * The value types (bits `1 << JsonType`) that give nothing under this key, so the walk may
   * pass them by: nulls and arrays always, leaves or objects when the hints exclude them. The
   * visitor would only answer "go on" for them: every label set is followed at once by the
   * check that stops the walk when all wanted labels are found.
   */
  readonly ignoredTypes: number;
}

const IGNORED_ALWAYS = (1 << JsonType.Null) | (1 << JsonType.Array);
const LEAF_TYPES = (1 << JsonType.String) | (1 << JsonType.Number) | (1 << JsonType.Boolean);

function isLeaf(type: JsonType): boolean {
  return (LEAF_TYPES & (1 << type)) !== 0;
}

/**
 * `| json` without parameters: every string, number and boolean leaf becomes a label, nested
 * object keys joined with `_`; arrays and nulls are skipped.
 */
export class JsonParser implements Stage, FieldVisitor {
  /** Top-level keys by raw key, for `hints` (bounded like Loki's interned keys). */
  private readonly topKeys = new Map<string, TopLevelKey>();
  private hints: ParserHints | undefined;
  /** The top level's keys (see KeyMemo), with the fields they make irrelevant under `hints`. */
  private memo = new KeyMemo();
  /** Sanitised, `_`-joined names of the objects enclosing the current field ('' at the top). */
  private readonly prefixes: string[] = [];
  private lb!: LabelsBuilder;

  process(_ts: Nanos, line: string, lb: LabelsBuilder): string | undefined {
    if (lb.noLabelsToExtract()) return line;
    if (lb.hints !== this.hints) {
      this.hints = lb.hints;
      this.topKeys.clear();
      this.memo = new KeyMemo();
    }
    this.lb = lb;
    // Balanced by descend(), unless an exception left an earlier line half walked.
    clearArray(this.prefixes);
    this.memo.rewind();
    const err = objectEach(line, 0, line.length, this, this.memo);
    if (err === DROP) return undefined;
    if (err !== undefined && err !== STOP) lb.setError(ERR_JSON, err);
    return line;
  }

  field(s: string, key: string, start: number, end: number, type: JsonType): string | undefined {
    if (this.prefixes.length > 0) return this.nestedField(s, key, start, end, type);
    const k = this.topLevelKey(key);
    this.memo.ignore(k.ignoredTypes);
    if (type === JsonType.Object) return k.objectWanted ? this.descend(s, start, end, k.name) : undefined;
    const lb = this.lb;
    if (k.leafWanted && isLeaf(type) && !this.setLeaf(lb.conflicts(k.name) ? k.renamed : k.name, s, start, end, type)) return DROP;
    return lb.allRequiredExtracted() ? STOP : undefined;
  }

  private nestedField(s: string, key: string, start: number, end: number, type: JsonType): string | undefined {
    const lb = this.lb;
    const prefix = this.prefixes[this.prefixes.length - 1];
    if (type === JsonType.Object) {
      const name = extendPrefix(prefix, key);
      const wanted = lb.hints.required === undefined || lb.hints.shouldExtractPrefix(name);
      return wanted ? this.descend(s, start, end, name) : undefined;
    }
    if (isLeaf(type)) {
      let name = extendPrefix(prefix, key);
      // The suffix goes on the raw key, so a blank key still gets a name (as in Loki).
      if (lb.conflicts(name)) name = extendPrefix(prefix, key + DUPLICATE_SUFFIX);
      if (!this.setLeaf(name, s, start, end, type)) return DROP;
    }
    return lb.allRequiredExtracted() ? STOP : undefined;
  }

  /** Walks a nested object whose fields are named `prefix_...` (not past MAX_JSON_DEPTH). */
  private descend(s: string, start: number, end: number, prefix: string): string | undefined {
    if (this.prefixes.length >= MAX_JSON_DEPTH) return undefined;
    this.prefixes.push(prefix);
    const err = objectEach(s, start, end, this);
    this.prefixes.pop();
    return err;
  }

  private topLevelKey(key: string): TopLevelKey {
    let k = this.topKeys.get(key);
    if (k === undefined) {
      const hints = this.lb.hints;
      const name = sanitizeLabelKey(key);
      const renamed = name + DUPLICATE_SUFFIX;
      const leafWanted = name !== '' && (hints.shouldExtract(name) || hints.shouldExtract(renamed));
      // extendPrefix('', key) is the sanitised key.
      const objectWanted = hints.required === undefined || hints.shouldExtractPrefix(name);
      const ignoredTypes = IGNORED_ALWAYS | (leafWanted ? 0 : LEAF_TYPES) | (objectWanted ? 0 : 1 << JsonType.Object);
      k = { name, renamed, leafWanted, objectWanted, ignoredTypes };
      if (this.topKeys.size < KeyCache.MAX) this.topKeys.set(key, k);
    }
    return k;
  }

  /** Sets a leaf's label unless unwanted or already extracted; false when an early check drops the entry. */
  private setLeaf(name: string, s: string, start: number, end: number, type: JsonType): boolean {
    const lb = this.lb;
    if (!lb.hints.shouldExtract(name) || lb.isExtracted(name)) return true;
    lb.set(name, leafValue(s, start, end, type));
    return lb.continueParsing(name);
  }
}

/** Joins a nested key to its parents' name with `_`; blank keys add nothing. */
function extendPrefix(prefix: string, key: string): string {
  if (goTrimSpace(key) === '') return prefix;
  return prefix === '' ? appendSanitized('', key) : appendSanitized(prefix + '_', key);
}

/** A parsed `json` extraction path: field names and array indexes. */
export type JsonPath = readonly (string | number)[];

/**
 * Loki's JSON expression syntax: `a.b`, `a[0]`, `["key with spaces"]`, `a["b"][1].c`. Throws
 * `cannot parse expression [...]: ...`.
 */
export function parseJsonPath(expr: string): JsonPath {
  const fail = (why: string): never => {
    throw new LokiError('parse_error', `cannot parse expression [${expr}]: ${why}`);
  };
  const path: (string | number)[] = [];
  let i = 0;
  const skipSpace = () => {
    while (i < expr.length && (expr[i] === ' ' || expr[i] === '\t' || expr[i] === '\n')) i++;
  };
  const isStart = (c: string | undefined) => c !== undefined && /[A-Za-z_]/.test(c);
  const field = (): string => {
    const start = i;
    while (i < expr.length && /[A-Za-z0-9_]/.test(expr[i])) i++;
    return expr.slice(start, i);
  };
  const bracket = () => {
    i++; // [
    skipSpace();
    const c = expr[i];
    if (c === '"') {
      i++;
      const start = i;
      while (i < expr.length && expr[i] !== '"' && expr[i] !== ']') i++;
      path.push(expr.slice(start, i));
      if (expr[i] === '"') i++;
    } else if (c !== undefined && c >= '0' && c <= '9') {
      const start = i;
      while (i < expr.length && !/[ \t\n.\]]/.test(expr[i])) {
        if (!/[0-9]/.test(expr[i])) fail(`non-integer value: ${expr[i]}`);
        i++;
      }
      if (expr[i] === '.') fail('cannot use float as array index');
      path.push(Number(expr.slice(start, i)));
    } else {
      fail('syntax error: unexpected token in brackets');
    }
    skipSpace();
    if (expr[i] !== ']') fail('syntax error: expected ]');
    i++;
  };
  skipSpace();
  if (isStart(expr[i])) path.push(field());
  else if (expr[i] === '[') bracket();
  else fail(i < expr.length ? `unexpected char ${expr[i]}` : 'syntax error: unexpected $end');
  for (;;) {
    skipSpace();
    if (i >= expr.length) break;
    if (expr[i] === '[') bracket();
    else if (expr[i] === '.') {
      i++;
      skipSpace();
      if (!isStart(expr[i])) fail('syntax error: expected a field after .');
      path.push(field());
    } else fail(`unexpected char ${expr[i]}`);
  }
  return path;
}

/**
 * `| json a="path", b`: only the listed labels. A missing path gives an empty value; objects
 * and arrays give their raw text, nulls "". A line not starting with `{`, `[` or `"` is a
 * JSONParserErr (without details).
 */
export class JsonExpressionParser implements Stage {
  private readonly ids: string[];
  private readonly paths: JsonPath[];
  private readonly value: JsonValue = { start: 0, end: 0, next: 0, type: JsonType.Null, escaped: false };

  constructor(extractions: readonly LabelExtraction[]) {
    this.ids = extractions.map((e) => e.name);
    this.paths = extractions.map((e) => parseJsonPath(e.expression));
  }

  process(_ts: Nanos, line: string, lb: LabelsBuilder): string | undefined {
    if (line.length === 0 || lb.noLabelsToExtract()) return line;
    const c = line.charCodeAt(0);
    if (c !== 0x22 && c !== 0x7b && c !== 0x5b) {
      lb.setError(ERR_JSON, undefined);
      return line;
    }
    let matches = 0;
    for (let k = 0; k < this.ids.length; k++) {
      const found = findPath(line, this.paths[k], this.value);
      if (typeof found === 'string') {
        lb.setError(ERR_JSON, found);
        continue;
      }
      if (!found) continue;
      let name = this.ids[k];
      if (lb.conflicts(name)) name += DUPLICATE_SUFFIX;
      const v = this.value;
      let text: string;
      if (v.type === JsonType.Null) text = '';
      else if (v.type === JsonType.Object) text = line.slice(v.start, v.end);
      else text = jsonStringLabelValue(line.slice(v.start, v.end));
      lb.set(name, text);
      matches++;
    }
    if (matches < this.ids.length) {
      for (const id of this.ids) if (lb.get(id) === undefined) lb.set(id, '');
    }
    return line;
  }
}

const PACKED_ENTRY_KEY = '_entry';
/** jsoniter's ObjectValue kind is 6; Loki prints it in this message. */
const NOT_AN_OBJECT = 'expecting json object(6), but it is not';

/**
 * `| unpack`: a JSON object's top-level string fields become labels and `_entry` replaces the
 * line; without `_entry` nothing changes (Loki only adds the labels of a packed entry).
 */
export class UnpackParser implements Stage, FieldVisitor {
  private readonly names: string[] = [];
  private readonly values: string[] = [];
  private entry: string | undefined;
  private lb!: LabelsBuilder;

  process(_ts: Nanos, line: string, lb: LabelsBuilder): string | undefined {
    if (line.length === 0 || lb.noLabelsToExtract()) return line;
    if (line.charCodeAt(0) !== 0x7b) {
      lb.setError(ERR_JSON, NOT_AN_OBJECT);
      return line;
    }
    clearArray(this.names);
    clearArray(this.values);
    this.entry = undefined;
    this.lb = lb;
    const err = objectEach(line, 0, line.length, this);
    if (err !== undefined) {
      lb.setError(ERR_JSON, err);
      return line;
    }
    if (this.entry === undefined) return line;
    for (let i = 0; i < this.names.length; i++) {
      lb.set(this.names[i], this.values[i]);
      if (!lb.continueParsing(this.names[i])) return undefined;
    }
    return this.entry;
  }

  field(s: string, key: string, start: number, end: number, type: JsonType): string | undefined {
    if (type !== JsonType.String) return undefined;
    const raw = s.slice(start, end);
    if (key === PACKED_ENTRY_KEY) {
      const v = unescapeJson(raw);
      if (v === undefined) return MALFORMED_STRING_ESCAPE;
      this.entry = v;
      return undefined;
    }
    const lb = this.lb;
    let name = key;
    if (lb.conflicts(name)) name += DUPLICATE_SUFFIX;
    if (!lb.hints.shouldExtract(name) || lb.isExtracted(name)) return undefined;
    this.names.push(appendSanitized('', name));
    this.values.push(jsonStringLabelValue(raw));
    return undefined;
  }
}
