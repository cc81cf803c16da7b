/**
 * `| logfmt [--strict] [--keep-empty] [a="key", b]`, with the decoder Loki uses: `key=value`
 * pairs separated by spaces, quoted values with JSON-style escapes, bare keys with an empty
 * value. A malformed pair is skipped (or, with `--strict`, stops the scan); the last syntax
 * error becomes `LogfmtParserErr` under `--strict` only.
 */
import type { Nanos } from '../../core/index.js';
import type { LabelExtraction } from '../syntax/ast.js';
import { DUPLICATE_SUFFIX, ERROR_LABEL, ERR_LOGFMT, type LabelsBuilder } from './labels.js';
import { unescapeJson } from './jsonscan.js';
import { KeyCache, type Stage } from './stage.js';

const INVALID_KEY = 'invalid key';
const UNTERMINATED_QUOTE = 'unterminated quoted value';
const INVALID_QUOTE = 'invalid quoted value';

/** A reusable pull decoder over one line (go-logfmt semantics, Loki's fork). */
export class LogfmtDecoder {
  private line = '';
  private pos = 0;
  key = '';
  value = '';
  /** The last syntax error of the line, as Loki prints it. */
  err: string | undefined;

  reset(line: string): void {
    this.line = line;
    this.pos = 0;
    this.err = undefined;
  }

  eol(): boolean {
    return this.pos >= this.line.length;
  }

  /** Scans the next pair; false when the pair is malformed (or only spaces remained). */
  scanKeyval(): boolean {
    this.key = '';
    this.value = '';
    const line = this.line;
    const n = line.length;
    while (this.pos < n && line.charCodeAt(this.pos) <= 0x20) this.pos++;
    if (this.pos >= n) return false;

    const start = this.pos;
    for (; this.pos < n; this.pos++) {
      const c = line.charCodeAt(this.pos);
      if (c === 0x3d /* = */) {
        if (this.pos === start) {
          this.unexpected('=');
          return this.skipValue();
        }
        this.key = line.slice(start, this.pos);
        if (this.key.includes('\ufffd')) {
          this.syntaxError(INVALID_KEY);
          return this.skipValue();
        }
        return this.afterEqual();
      }
      if (c === 0x22 /* " */) {
        this.unexpected('"');
        return this.skipValue();
      }
      if (c <= 0x20) break;
    }
    this.key = line.slice(start, this.pos);
    if (this.key.includes('\ufffd')) {
      this.syntaxError(INVALID_KEY);
      return false;
    }
    return true;
  }

  private afterEqual(): boolean {
    const line = this.line;
    const n = line.length;
    this.pos++;
    if (this.pos >= n) return true;
    const c0 = line.charCodeAt(this.pos);
    if (c0 <= 0x20) return true;
    if (c0 === 0x22) return this.quotedValue();
    const start = this.pos;
    for (; this.pos < n; this.pos++) {
      const c = line.charCodeAt(this.pos);
      if (c === 0x3d || c === 0x22) {
        this.unexpected(c === 0x3d ? '=' : '"');
        return this.skipValue();
      }
      if (c <= 0x20) break;
    }
    this.value = line.slice(start, this.pos);
    return true;
  }

  private quotedValue(): boolean {
    const line = this.line;
    const n = line.length;
    const start = this.pos;
    let hasEsc = false;
    let esc = false;
    for (let i = start + 1; i < n; i++) {
      const c = line.charCodeAt(i);
      if (esc) esc = false;
      else if (c === 0x5c) {
        hasEsc = true;
        esc = true;
      } else if (c === 0x22) {
        this.pos = i + 1;
        if (hasEsc) {
          const v = unescapeJson(line.slice(start + 1, i));
          if (v === undefined) {
            this.syntaxError(INVALID_QUOTE);
            return false;
          }
          this.value = v;
        } else {
          this.value = line.slice(start + 1, i);
        }
        return true;
      }
    }
    this.pos = n;
    this.syntaxError(UNTERMINATED_QUOTE);
    return false;
  }

  private skipValue(): boolean {
    const line = this.line;
    while (this.pos < line.length && line.charCodeAt(this.pos) > 0x20) this.pos++;
    return false;
  }

  private unexpected(c: string): void {
    this.syntaxError(`unexpected '${c}'`);
  }

  /** Positions are 1-based byte offsets, as Go counts them. */
  private syntaxError(msg: string): void {
    const bytePos = Buffer.byteLength(this.line.slice(0, this.pos)) + 1;
    this.err = `logfmt syntax error at pos ${bytePos} : ${msg}`;
  }
}

function cleanValue(v: string): string {
  return v.includes('\ufffd') ? v.replace(/\ufffd/g, ' ') : v;
}

/** `| logfmt` without parameters. */
export class LogfmtParser implements Stage {
  private readonly dec = new LogfmtDecoder();
  private readonly keys = new KeyCache();

  constructor(
    private readonly strict: boolean,
    private readonly keepEmpty: boolean,
  ) {}

  process(_ts: Nanos, line: string, lb: LabelsBuilder): string | undefined {
    if (lb.noLabelsToExtract()) return line;
    const dec = this.dec;
    dec.reset(line);
    while (!dec.eol()) {
      if (!dec.scanKeyval()) {
        if (this.strict) break;
        continue;
      }
      let key = this.keys.sanitized(dec.key);
      if (key === '') continue;
      if (lb.conflicts(key)) key += DUPLICATE_SUFFIX;
      if (!lb.hints.shouldExtract(key) || lb.isExtracted(key)) continue;
      const val = cleanValue(dec.value);
      if (!this.keepEmpty && val === '') continue;
      lb.set(key, val);
      if (!lb.continueParsing(key)) return undefined;
      if (lb.allRequiredExtracted()) break;
    }
    if (this.strict && dec.err !== undefined) {
      lb.setError(ERR_LOGFMT, dec.err);
      if (!lb.continueParsing(ERROR_LABEL)) return undefined;
    }
    return line;
  }
}

/**
 * `| logfmt a="key", b`: the listed labels are always added (empty first), and a line key
 * whose sanitised form equals an expression fills that label. Empty values are kept.
 */
export class LogfmtExpressionParser implements Stage {
  private readonly dec = new LogfmtDecoder();
  private readonly keys = new KeyCache();
  private readonly ids: string[];
  private readonly expressions: string[];

  constructor(
    extractions: readonly LabelExtraction[],
    private readonly strict: boolean,
  ) {
    // Later duplicates of an identifier replace earlier ones, as in Loki's map.
    const byId = new Map<string, string>();
    for (const e of extractions) byId.set(e.name, e.expression);
    this.ids = [...byId.keys()];
    this.expressions = [...byId.values()];
  }

  process(_ts: Nanos, line: string, lb: LabelsBuilder): string | undefined {
    if (lb.noLabelsToExtract()) return line;
    for (const id of this.ids) if (!lb.conflicts(id)) lb.set(id, '');
    const dec = this.dec;
    dec.reset(line);
    while (!dec.eol()) {
      if (!dec.scanKeyval()) {
        if (this.strict) break;
        continue;
      }
      const sanitized = this.keys.sanitized(dec.key);
      if (sanitized === '') continue;
      const always = this.ids.indexOf(sanitized) >= 0;
      if (!always && (!lb.hints.shouldExtract(sanitized) || lb.isExtracted(sanitized))) continue;
      const val = dec.value.includes('\ufffd') ? '' : dec.value;
      let key = sanitized;
      const e = this.expressions.indexOf(sanitized);
      if (e >= 0) key = this.ids[e];
      if (this.ids.indexOf(key) < 0) continue;
      if (lb.conflicts(key)) {
        key += DUPLICATE_SUFFIX;
        // Loki stops the whole scan here when the renamed label is not wanted.
        if (lb.isExtracted(key) || !lb.hints.shouldExtract(key)) break;
      }
      lb.set(key, val);
      if (lb.allRequiredExtracted()) break;
    }
    if (this.strict && dec.err !== undefined) lb.setError(ERR_LOGFMT, dec.err);
    return line;
  }
}
