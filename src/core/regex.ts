/**
 * LogQL regexes are RE2. This module turns an RE2 pattern into a JS RegExp with the same
 * meaning, or throws the parse error Go's regexp/syntax would give.
 */
import { LokiError } from './errors.js';

export interface Re2Options {
  /** Match the whole string, as label matchers and label filters do. */
  anchored?: boolean;
}

export function compileRe2(pattern: string, opts: Re2Options = {}): RegExp {
  let flags = 'su';
  let body = pattern;
  const lead = /^\(\?([imsU]+)\)/.exec(body);
  if (lead) {
    if (lead[1].includes('i')) flags += 'i';
    if (lead[1].includes('m')) flags += 'm';
    body = body.slice(lead[0].length);
  }
  try {
    return new RegExp(opts.anchored ? `^(?:${body})$` : body, flags);
  } catch (e) {
    throw new LokiError('parse_error', `error parsing regexp: ${(e as Error).message}`);
  }
}
