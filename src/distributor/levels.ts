/**
 * `detected_level`: the structured-metadata entry Loki ≥ 3 adds to each accepted entry when the
 * tenant's `discover_log_levels` is on and structured metadata is allowed; Grafana's log-volume
 * histogram groups by it.
 *
 * The rules follow grafana/loki main at 65e30f8 (2026-08-22, after v3.7.6),
 * pkg/distributor/field_detection.go, with Loki's default `log_level_fields` and
 * `log_level_from_json_max_depth: 2`; what counts as a JSON or logfmt value follows
 * buger/jsonparser v1.6.1 (Loki's JSON scanner) and Loki's logfmt decoder. First match wins:
 *
 *  1. the entry already carries `detected_level`: its value is normalised, nothing is added;
 *  2. a stream label named as a level field (earliest in LEVEL_FIELDS), normalised;
 *  3. the same from the entry's structured metadata;
 *  4. metadata `severity_number` (OTLP): its severity band, `info` when it is not an integer;
 *  5. the line: the first level field of a JSON object (top level or one object down) or the
 *     best-ranked logfmt key, when its value names a level; else the leftmost level keyword
 *     standing as a word (`[ERROR] ...`, `warn: ...`, `level=info`); else `unknown`.
 *
 * "Normalised" maps the spellings Loki knows (`WARNING`, `wrn`, `Err`, `information`, ...) to
 * trace/debug/info/warn/error/critical/fatal and leaves any other value as it is.
 *
 * Hot path: runs for every accepted entry. The line is scanned in place (no JSON.parse, no
 * lower-cased copy) and stops at the first answer, or once no level field name lies ahead; only
 * an escaped JSON key or logfmt value allocates. The stream's own level is computed once per
 * pushed stream (`streamLevel`).
 */
import { DETECTED_LEVEL_LABEL, type LabelPair, type Labels } from '../core/index.js';

export const DETECTED_LEVEL = DETECTED_LEVEL_LABEL;

const TRACE = 'trace';
const DEBUG = 'debug';
const INFO = 'info';
const WARN = 'warn';
const ERROR = 'error';
const CRITICAL = 'critical';
const FATAL = 'fatal';
const UNKNOWN = 'unknown';

/** Loki's default `log_level_fields`, in its order: an earlier name wins over a later one. */
const LEVEL_FIELDS: readonly string[] = [
  'level', 'LEVEL', 'Level', 'log.level', 'severity', 'SEVERITY', 'Severity', 'SeverityText',
  'lvl', 'LVL', 'Lvl', 'severity_text', 'Severity_Text', 'SEVERITY_TEXT',
];
const LEVEL_FIELD_RANK = new Map(LEVEL_FIELDS.map((name, rank) => [name, rank]));
/** The exact names by length, so a JSON key is compared in place with at most three names. */
const LEVEL_FIELDS_BY_LENGTH: string[][] = [];
for (const name of LEVEL_FIELDS) (LEVEL_FIELDS_BY_LENGTH[name.length] ??= []).push(name);

/**
 * Logfmt keys match level fields case-insensitively, ranked by the first field they match:
 * each length has one lower-cased spelling (`level`→0, `log.level`→3, `severity`→4, ...).
 */
const LOGFMT_KEY_BY_LENGTH: ({ lower: string; rank: number } | undefined)[] = [];
for (const [rank, name] of LEVEL_FIELDS.entries()) {
  LOGFMT_KEY_BY_LENGTH[name.length] ??= { lower: name.toLowerCase(), rank };
}

/** OTLP's `severity_number` as Loki's OTLP push keeps it in structured metadata. */
const SEVERITY_NUMBER = 'severity_number';
const MAX_INT64 = 9223372036854775807n;

/** Nested JSON objects are searched down to this depth (Loki's default); the top level is 0. */
const JSON_MAX_DEPTH = 2;

/**
 * Metadata for an entry that had none: one shared, never mutated array per canonical level,
 * so the common case allocates nothing.
 */
const LEVEL_ONLY_METADATA = new Map<string, Labels>(
  [TRACE, DEBUG, INFO, WARN, ERROR, CRITICAL, FATAL, UNKNOWN].map((level) => [level, [{ name: DETECTED_LEVEL, value: level }]]),
);

/**
 * The stream's level, when one of its labels is a level field: computed once per pushed stream
 * and handed to `withDetectedLevel` for each entry.
 */
export function streamLevel(labels: Labels): string | undefined {
  const value = levelFieldValue(labels);
  return value === undefined ? undefined : normalizeLevel(value);
}

/**
 * `metadata` (names already normalised and sorted) with `detected_level` added in name order or
 * normalised in place; `metadata` itself when nothing changes. `fromStream` is `streamLevel`
 * of the entry's stream.
 */
export function withDetectedLevel(metadata: Labels, line: string, fromStream: string | undefined): Labels {
  if (metadata.length === 0) {
    const level = fromStream ?? levelFromLine(line);
    return LEVEL_ONLY_METADATA.get(level) ?? [{ name: DETECTED_LEVEL, value: level }];
  }
  let existing = -1;
  let severityNumber = '';
  for (let i = 0; i < metadata.length; i++) {
    const name = metadata[i].name;
    if (name === DETECTED_LEVEL) existing = i;
    else if (name === SEVERITY_NUMBER) severityNumber = metadata[i].value;
  }
  // Loki drops empty-valued metadata before it looks for a level, so an empty
  // `detected_level` or level field counts as absent.
  if (existing >= 0 && metadata[existing].value !== '') {
    const value = metadata[existing].value;
    const normalized = normalizeLevel(value);
    return normalized === value ? metadata : replaceAt(metadata, existing, normalized);
  }
  let level = fromStream;
  if (level === undefined) {
    const fromMetadata = levelFieldValue(metadata);
    if (fromMetadata !== undefined) level = normalizeLevel(fromMetadata);
    else if (severityNumber !== '') level = levelFromSeverityNumber(severityNumber);
    else level = levelFromLine(line);
  }
  return existing >= 0 ? replaceAt(metadata, existing, level) : insertSorted(metadata, level);
}

/** The value of the best-ranked non-empty level field among `labels`. */
function levelFieldValue(labels: Labels): string | undefined {
  let bestRank = LEVEL_FIELDS.length;
  let value: string | undefined;
  for (const l of labels) {
    const rank = LEVEL_FIELD_RANK.get(l.name);
    if (rank !== undefined && rank < bestRank && l.value !== '') {
      bestRank = rank;
      value = l.value;
    }
  }
  return value;
}

function replaceAt(metadata: Labels, index: number, level: string): Labels {
  const out = metadata.slice();
  out[index] = { name: DETECTED_LEVEL, value: level };
  return out;
}

function insertSorted(metadata: Labels, level: string): Labels {
  let at = 0;
  while (at < metadata.length && metadata[at].name < DETECTED_LEVEL) at++;
  const out: LabelPair[] = metadata.slice(0, at);
  out.push({ name: DETECTED_LEVEL, value: level });
  for (let i = at; i < metadata.length; i++) out.push(metadata[i]);
  return out;
}

/** A known spelling of a level as its canonical name; any other value unchanged. */
export function normalizeLevel(value: string): string {
  return canonicalLevel(value, 0, value.length) ?? value;
}

/** The canonical level that `s[start, end)` spells (case-insensitively), if any. */
function canonicalLevel(s: string, start: number, end: number): string | undefined {
  switch (end - start) {
    case 3:
      if (equalFold(s, start, 'trc')) return TRACE;
      if (equalFold(s, start, 'dbg')) return DEBUG;
      if (equalFold(s, start, 'inf')) return INFO;
      if (equalFold(s, start, 'wrn')) return WARN;
      if (equalFold(s, start, 'err')) return ERROR;
      return undefined;
    case 4:
      if (equalFold(s, start, 'info')) return INFO;
      if (equalFold(s, start, 'warn')) return WARN;
      return undefined;
    case 5:
      if (equalFold(s, start, 'trace')) return TRACE;
      if (equalFold(s, start, 'debug')) return DEBUG;
      if (equalFold(s, start, 'error')) return ERROR;
      if (equalFold(s, start, 'fatal')) return FATAL;
      return undefined;
    case 7:
      return equalFold(s, start, 'warning') ? WARN : undefined;
    case 8:
      return equalFold(s, start, 'critical') ? CRITICAL : undefined;
    case 11:
      return equalFold(s, start, 'information') ? INFO : undefined;
    default:
      return undefined;
  }
}

/**
 * Go's EqualFold against a lower-case ASCII word: ASCII letters fold, and so do the two
 * non-ASCII letters whose case orbit holds an ASCII one (long s, Kelvin sign).
 */
function equalFold(s: string, at: number, lower: string): boolean {
  for (let i = 0; i < lower.length; i++) {
    let c = s.charCodeAt(at + i);
    if (c >= 0x41 && c <= 0x5a) c |= 0x20;
    else if (c === 0x17f) c = 0x73;
    else if (c === 0x212a) c = 0x6b;
    if (c !== lower.charCodeAt(i)) return false;
  }
  return true;
}

/**
 * OTLP severity numbers in bands of four from 1 (trace) to 24 (fatal); 0 and anything above
 * is `unknown`, below 1 `trace`; a value that is not a Go int is `info`.
 */
function levelFromSeverityNumber(text: string): string {
  if (!/^[+-]?[0-9]+$/.test(text)) return INFO;
  let n: number;
  if (text.length > 15) {
    const big = BigInt(text);
    if (big > MAX_INT64 || big < -MAX_INT64 - 1n) return INFO;
    n = big > 100n ? 100 : big < 0n ? -1 : Number(big);
  } else {
    n = Number(text);
  }
  if (n === 0) return UNKNOWN;
  if (n <= 4) return TRACE;
  if (n <= 8) return DEBUG;
  if (n <= 12) return INFO;
  if (n <= 16) return WARN;
  if (n <= 20) return ERROR;
  if (n <= 24) return FATAL;
  return UNKNOWN;
}

/** Level of a line without help from labels or metadata; never empty. */
export function levelFromLine(line: string): string {
  let level: string | undefined;
  if (isJsonObjectLine(line)) level = jsonLevel(line);
  else if (line.indexOf('=') >= 0) level = logfmtLevel(line);
  return level ?? keywordLevel(line);
}

/**
 * Fields read before the JSON and logfmt scans ask whether the rest of the line can still hold
 * a level field: most lines name their level among the first few fields, and a line that has
 * none is then not scanned to its end.
 */
const FIELDS_BEFORE_HINT = 3;

/**
 * Every level field name contains one of these, in any case (`everity` also covers Go's
 * case-folding of a long s). Global only so that `lastIndex` sets where the search starts.
 */
const LEVEL_FIELD_HINT_RE = /l(?:evel|vl)|everity/gi;

/** Whether `s` from `from` on may still name a level field (`escapes`: JSON keys may hide a name in escapes). */
function mayHoldLevelField(s: string, from: number, escapes: boolean): boolean {
  if (escapes && backslashAtOrAfter(s, from) < s.length) return true;
  LEVEL_FIELD_HINT_RE.lastIndex = from;
  return LEVEL_FIELD_HINT_RE.test(s);
}

// ---------------------------------------------------------------------------------------------
// JSON

const SPACE = 0x20;
const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const EQUALS = 0x3d;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;

/** Go's unicode.IsSpace. */
function isUnicodeSpace(c: number): boolean {
  if (c <= 0xff) return c === SPACE || (c >= TAB && c <= CR) || c === 0x85 || c === 0xa0;
  return c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f ||
    c === 0x205f || c === 0x3000;
}

/**
 * Loki's test for a JSON line: `{` first after Unicode spaces, `}` last before ASCII spaces
 * (it reads the end byte by byte, so a line ending in any non-ASCII character is not JSON).
 */
function isJsonObjectLine(line: string): boolean {
  const n = line.length;
  let i = 0;
  while (i < n && isUnicodeSpace(line.charCodeAt(i))) i++;
  if (i === n || line.charCodeAt(i) !== LBRACE) return false;
  let j = n - 1;
  for (let c = line.charCodeAt(j); c === SPACE || (c >= TAB && c <= CR); c = line.charCodeAt(--j));
  return line.charCodeAt(j) === RBRACE;
}

// Scanner state, kept in the module so that a scan allocates nothing.
let jsonValueStart = 0;
let jsonValueEnd = 0;
let jsonValueFound = false;
let stringHadBackslash = false;
/**
 * The first backslash at or after `backslashSearchFrom` (the line's length if none; -1 before
 * the first search of a line): strings that end before it need no escape handling.
 */
let backslashSearchFrom = 0;
let nextBackslash = -1;

/** The first backslash at or after `from`, reusing the last search when it still answers. */
function backslashAtOrAfter(s: string, from: number): number {
  if (nextBackslash < from || from < backslashSearchFrom) {
    backslashSearchFrom = from;
    nextBackslash = s.indexOf('\\', from);
    if (nextBackslash < 0) nextBackslash = s.length;
  }
  return nextBackslash;
}

function jsonLevel(line: string): string | undefined {
  jsonValueFound = false;
  nextBackslash = -1;
  scanJsonObject(line, 0, line.length, 0);
  return jsonValueFound ? canonicalLevel(line, jsonValueStart, jsonValueEnd) : undefined;
}

/** JSON whitespace (four characters, unlike Go's IsSpace). */
function skipJsonSpace(s: string, i: number, end: number): number {
  for (; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c !== SPACE && c !== LF && c !== CR && c !== TAB) break;
  }
  return i;
}

/**
 * Walks the object at `s[start, end)` member by member, descending into object values, until a
 * level field with a string value is found (recorded in the module state) or the text stops
 * being well-formed. Returns true to stop the whole walk (found, or malformed: nothing after the
 * break is trusted, as in jsonparser), false when the object ended normally or lies too deep.
 */
function scanJsonObject(s: string, start: number, end: number, depth: number): boolean {
  if (depth >= JSON_MAX_DEPTH) return false;
  let p = skipJsonSpace(s, start, end);
  if (p >= end || s.charCodeAt(p) !== LBRACE) return true;
  p = skipJsonSpace(s, p + 1, end);
  if (p >= end) return true;
  for (let member = 0; ; member++) {
    // Nothing found so far, and nothing to find further on: stop as if at the end.
    if (member === FIELDS_BEFORE_HINT && depth === 0 && !mayHoldLevelField(s, p, true)) return true;
    const first = s.charCodeAt(p);
    if (first === RBRACE) return false;
    if (first !== QUOTE) return true;
    const keyStart = p + 1;
    p = stringEnd(s, keyStart, end);
    if (p < 0) return true;
    const keyEnd = p - 1;
    let isLevelKey: boolean;
    if (stringHadBackslash) {
      const key = unescapeString(s, keyStart, keyEnd, false);
      if (key === undefined) return true;
      isLevelKey = LEVEL_FIELD_RANK.has(key);
    } else {
      isLevelKey = isLevelFieldAt(s, keyStart, keyEnd);
    }
    p = skipJsonSpace(s, p, end);
    if (p >= end || s.charCodeAt(p) !== COLON) return true;
    p = skipJsonSpace(s, p + 1, end);
    if (p >= end) return true;
    const valueStart = p;
    const c = s.charCodeAt(p);
    if (c === QUOTE) {
      p = stringEnd(s, valueStart + 1, end);
      if (p < 0) return true;
      if (isLevelKey) {
        jsonValueStart = valueStart + 1;
        jsonValueEnd = p - 1;
        jsonValueFound = true;
        return true;
      }
    } else if (c === LBRACE) {
      p = blockEnd(s, valueStart, end, LBRACE, RBRACE);
      if (p < 0 || scanJsonObject(s, valueStart, p, depth + 1)) return true;
    } else if (c === LBRACKET) {
      p = blockEnd(s, valueStart, end, LBRACKET, RBRACKET);
      if (p < 0) return true;
    } else {
      p = tokenEnd(s, valueStart, end);
      if (!isJsonLiteral(s, valueStart, p)) return true;
    }
    p = skipJsonSpace(s, p, end);
    if (p >= end) return true;
    const next = s.charCodeAt(p);
    if (next === RBRACE) return false;
    if (next !== COMMA) return true;
    p = skipJsonSpace(s, p + 1, end);
    if (p >= end) return true;
  }
}

function isLevelFieldAt(s: string, start: number, end: number): boolean {
  const candidates = LEVEL_FIELDS_BY_LENGTH[end - start];
  if (candidates === undefined) return false;
  for (const name of candidates) if (equalsAt(s, start, name)) return true;
  return false;
}

/** `s` holds `word` at `at` (a loop: cheaper than startsWith with a position for short words). */
function equalsAt(s: string, at: number, word: string): boolean {
  for (let i = 0; i < word.length; i++) if (s.charCodeAt(at + i) !== word.charCodeAt(i)) return false;
  return true;
}

/**
 * Index just past the closing quote of the string whose body starts at `from` (-1 when
 * unterminated); sets `stringHadBackslash`. A quote ends the string unless an odd run of
 * backslashes precedes it. Strings without a backslash (nearly all) are found with indexOf.
 */
function stringEnd(s: string, from: number, end: number): number {
  const quote = s.indexOf('"', from);
  if (quote < 0 || quote >= end) return -1;
  if (backslashAtOrAfter(s, from) > quote) {
    stringHadBackslash = false;
    return quote + 1;
  }
  for (let i = quote; i < end; i++) {
    if (s.charCodeAt(i) !== QUOTE) continue;
    let run = 0;
    for (let j = i - 1; j >= from && s.charCodeAt(j) === BACKSLASH; j--) run++;
    if (run % 2 === 0) {
      stringHadBackslash = true;
      return i + 1;
    }
  }
  return -1;
}

/** Index just past the bracket closing the one at `start` (strings skipped), or -1. */
function blockEnd(s: string, start: number, end: number, open: number, close: number): number {
  let level = 0;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c === QUOTE) {
      const after = stringEnd(s, i + 1, end);
      if (after < 0) return -1;
      i = after - 1;
    } else if (c === open) {
      level++;
    } else if (c === close && --level === 0) {
      return i + 1;
    }
  }
  return -1;
}

/** End of a bare JSON token (number, true, false, null). */
function tokenEnd(s: string, start: number, end: number): number {
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c === SPACE || c === LF || c === CR || c === TAB || c === COMMA || c === RBRACE || c === RBRACKET) return i;
  }
  return end;
}

/** jsonparser's check of a bare value: exact true/false/null, or anything starting like a number. */
function isJsonLiteral(s: string, start: number, end: number): boolean {
  const c = s.charCodeAt(start);
  if (c === 0x74 || c === 0x66) return matchesExactly(s, start, end, 'true') || matchesExactly(s, start, end, 'false');
  if (c === 0x75 || c === 0x6e) return matchesExactly(s, start, end, 'null');
  return c === 0x2d || (c >= 0x30 && c <= 0x39);
}

function matchesExactly(s: string, start: number, end: number, word: string): boolean {
  return end - start === word.length && equalsAt(s, start, word);
}

/**
 * The body `s[start, end)` of a quoted string with its escapes resolved, or undefined when an
 * escape is invalid. JSON's escapes; logfmt also accepts `\'`. Only reached for strings that
 * contain a backslash.
 */
function unescapeString(s: string, start: number, end: number, allowSingleQuote: boolean): string | undefined {
  let out = '';
  let from = start;
  for (let i = s.indexOf('\\', start); i >= 0 && i < end; i = s.indexOf('\\', from)) {
    out += s.slice(from, i);
    const e = i + 1 < end ? s.charCodeAt(i + 1) : -1;
    switch (e) {
      case QUOTE: case BACKSLASH: case 0x2f: out += String.fromCharCode(e); break;
      case 0x62: out += '\b'; break;
      case 0x66: out += '\f'; break;
      case 0x6e: out += '\n'; break;
      case 0x72: out += '\r'; break;
      case 0x74: out += '\t'; break;
      case 0x27:
        if (!allowSingleQuote) return undefined;
        out += "'";
        break;
      case 0x75: {
        const hex = s.slice(i + 2, i + 6);
        if (i + 6 > end || !/^[0-9A-Fa-f]{4}$/.test(hex)) return undefined;
        out += String.fromCharCode(parseInt(hex, 16));
        from = i + 6;
        continue;
      }
      default:
        return undefined;
    }
    from = i + 2;
  }
  return out + s.slice(from, end);
}

// ---------------------------------------------------------------------------------------------
// logfmt

/**
 * Loki's logfmt level: every key/value pair is read (Loki's decoder rules, stopping at the first
 * syntax error) and the value of the best-ranked level key kept; a `level` key (any case) ends
 * the scan at once. Undefined unless that value names a level.
 */
function logfmtLevel(s: string): string | undefined {
  const n = s.length;
  const none = LEVEL_FIELDS.length;
  let bestRank = none;
  // The best value: s[bestStart, bestEnd), or bestUnescaped when it was a quoted value with escapes.
  let bestStart = 0;
  let bestEnd = 0;
  let bestUnescaped: string | undefined;
  nextBackslash = -1;
  let pos = 0;
  for (let pair = 0; pos < n; pair++) {
    // Keys are never escaped in logfmt: with no level field name ahead, the best is final.
    if (pair === FIELDS_BEFORE_HINT && !mayHoldLevelField(s, pos, false)) break;
    while (pos < n && s.charCodeAt(pos) <= SPACE) pos++;
    if (pos >= n) break;
    const keyStart = pos;
    let c = 0;
    let replacementInKey = false;
    for (; pos < n; pos++) {
      c = s.charCodeAt(pos);
      if (c === EQUALS || c === QUOTE || c <= SPACE) break;
      if (c === 0xfffd) replacementInKey = true;
    }
    // A key holding U+FFFD (invalid UTF-8), a quote in a key or a key-less `=` is a syntax error.
    if (replacementInKey || (pos < n && c === QUOTE) || (c === EQUALS && pos === keyStart)) break;
    const rank = logfmtKeyRank(s, keyStart, pos);
    let valueStart = 0;
    let valueEnd = 0;
    let unescaped: string | undefined;
    if (pos < n && c === EQUALS) {
      pos++;
      const v = pos < n ? s.charCodeAt(pos) : SPACE;
      if (v === QUOTE) {
        const close = closingQuote(s, pos + 1);
        if (close < 0) break;
        if (stringHadBackslash) {
          unescaped = unescapeString(s, pos + 1, close, true);
          if (unescaped === undefined) break;
        } else {
          valueStart = pos + 1;
          valueEnd = close;
        }
        pos = close + 1;
      } else if (v > SPACE) {
        valueStart = pos;
        while (pos < n && (c = s.charCodeAt(pos)) > SPACE && c !== EQUALS && c !== QUOTE) pos++;
        if (pos < n && (c === EQUALS || c === QUOTE)) break;
        valueEnd = pos;
      }
    }
    if (rank < bestRank) {
      bestRank = rank;
      bestStart = valueStart;
      bestEnd = valueEnd;
      bestUnescaped = unescaped;
      if (rank === 0) break;
    }
  }
  if (bestRank === none) return undefined;
  return bestUnescaped === undefined ? canonicalLevel(s, bestStart, bestEnd) : canonicalLevel(bestUnescaped, 0, bestUnescaped.length);
}

/**
 * Index of the quote closing a logfmt value whose body starts at `from`, or -1; a backslash
 * escapes the next character. Sets `stringHadBackslash`.
 */
function closingQuote(s: string, from: number): number {
  let quote = s.indexOf('"', from);
  if (quote < 0) return -1;
  let backslash = backslashAtOrAfter(s, from);
  stringHadBackslash = backslash < quote;
  while (backslash < quote) {
    // The backslash escapes the next character: look again after it.
    const after = backslash + 2;
    if (quote < after) {
      quote = s.indexOf('"', after);
      if (quote < 0) return -1;
    }
    backslash = backslashAtOrAfter(s, after);
  }
  return quote;
}

/** Rank of the level field a logfmt key names (case-insensitively), or LEVEL_FIELDS.length. */
function logfmtKeyRank(s: string, start: number, end: number): number {
  const candidate = LOGFMT_KEY_BY_LENGTH[end - start];
  return candidate !== undefined && equalFold(s, start, candidate.lower) ? candidate.rank : LEVEL_FIELDS.length;
}

// ---------------------------------------------------------------------------------------------
// Keywords in free text

/**
 * The leftmost level keyword (any case) with an edge character or the line's end on both
 * sides. Colons are no left edge, so `misc:error` does not count, but `error:` does. Go
 * lower-cases the dotted capital I to i, hence [iİ]; `/i` without `u` folds ASCII letters only.
 * Alternatives sharing a start (err/error, warn/warning) cannot both have edges, so the leftmost
 * match alone decides, and its first letter names the level. A regex search is several times
 * faster here than a character loop in JS.
 */
const KEYWORD_RE =
  /(?<![^\t\n "'(=[{|])(?:trace|debug|fatal|cr[iİ]t[iİ]cal|err(?:or)?|warn(?:[iİ]ng)?|[iİ]nfo)(?=[\t\n !"'(),:=[\]{|}]|$)/i;

/** The level of the leftmost keyword; `unknown` if none. */
function keywordLevel(s: string): string {
  const at = s.search(KEYWORD_RE);
  if (at < 0) return UNKNOWN;
  switch (s.charCodeAt(at) | 0x20) {
    case 0x74: return TRACE; // t
    case 0x64: return DEBUG; // d
    case 0x66: return FATAL; // f
    case 0x63: return CRITICAL; // c
    case 0x65: return ERROR; // e
    case 0x77: return WARN; // w
    default: return INFO; // i, I, İ
  }
}
