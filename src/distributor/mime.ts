/**
 * Go's `mime.ParseMediaType`, as Loki applies it to the push Content-Type: the lower-cased
 * `type/subtype`, or Go's error text (400). Parameters are checked for syntax only: Loki
 * ignores their values but refuses a request whose parameters do not parse.
 */
import { LokiError } from '../core/index.js';

const TSPECIALS = '()<>@,;:\\"/[]?=';

function isTokenChar(c: string): boolean {
  const code = c.charCodeAt(0);
  return code > 0x20 && code < 0x7f && !TSPECIALS.includes(c);
}

function tokenEnd(s: string, from: number): number {
  let i = from;
  while (i < s.length && isTokenChar(s[i])) i++;
  return i;
}

/** Go's unicode.IsSpace over the characters a header can carry. */
function isSpace(c: string | undefined): boolean {
  return c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\v' || c === '\f' || c === '\u0085' || c === '\u00a0';
}

function skipSpace(s: string, from: number): number {
  let i = from;
  while (i < s.length && isSpace(s[i])) i++;
  return i;
}

function fail(message: string): never {
  throw new LokiError('bad_request', message);
}

export function parseMediaType(header: string): string {
  const semi = header.indexOf(';');
  const mediaType = (semi < 0 ? header : header.slice(0, semi)).trim().toLowerCase();
  const typeEnd = tokenEnd(mediaType, 0);
  if (typeEnd === 0) fail('mime: no media type');
  if (typeEnd < mediaType.length) {
    if (mediaType[typeEnd] !== '/') fail('mime: expected slash after first token');
    const subEnd = tokenEnd(mediaType, typeEnd + 1);
    if (subEnd === typeEnd + 1) fail('mime: expected token after slash');
    if (subEnd !== mediaType.length) fail('mime: unexpected content after media subtype');
  }
  if (semi >= 0) checkParameters(header, semi);
  return mediaType;
}

/** Walks `; name=value` pairs from `from` (a `;`) the way Go's consumeMediaParam does. */
function checkParameters(header: string, from: number): void {
  const seen = new Set<string>();
  let i = from;
  for (;;) {
    i = skipSpace(header, i);
    if (i >= header.length) return;
    const end = parameterEnd(header, i);
    if (end < 0) {
      // A trailing lone `;` is tolerated, anything else is not.
      if (header.slice(i).trim() === ';') return;
      fail('mime: invalid media parameter');
    }
    const name = header.slice(skipSpace(header, i + 1), tokenEnd(header, skipSpace(header, i + 1))).toLowerCase();
    if (seen.has(name)) fail('mime: duplicate parameter name');
    seen.add(name);
    i = end;
  }
}

/** End index of the `; name = value` starting at `i`, or -1 when it does not parse. */
function parameterEnd(s: string, start: number): number {
  if (s[start] !== ';') return -1;
  let i = skipSpace(s, start + 1);
  const nameEnd = tokenEnd(s, i);
  if (nameEnd === i) return -1;
  i = skipSpace(s, nameEnd);
  if (s[i] !== '=') return -1;
  i = skipSpace(s, i + 1);
  if (s[i] !== '"') {
    const valueEnd = tokenEnd(s, i);
    return valueEnd === i ? -1 : valueEnd;
  }
  for (let j = i + 1; j < s.length; j++) {
    if (s[j] === '"') return j + 1;
    if (s[j] === '\\') j++;
  }
  return -1;
}
