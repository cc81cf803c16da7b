/** Label matchers (`=`, `!=`, `=~`, `!~`), shared by the index, the ingester and LogQL. */
import { compileRe2 } from './regex.js';
import type { Labels } from './labels.js';

export type MatchType = '=' | '!=' | '=~' | '!~';

export interface Matcher {
  readonly type: MatchType;
  readonly name: string;
  readonly value: string;
  /** True when the value (empty string for an absent label) satisfies the matcher. */
  matches(value: string): boolean;
}

export function newMatcher(type: MatchType, name: string, value: string): Matcher {
  switch (type) {
    case '=':
      return { type, name, value, matches: (v) => v === value };
    case '!=':
      return { type, name, value, matches: (v) => v !== value };
    case '=~': {
      const re = compileRe2(value, { anchored: true });
      return { type, name, value, matches: (v) => re.test(v) };
    }
    case '!~': {
      const re = compileRe2(value, { anchored: true });
      return { type, name, value, matches: (v) => !re.test(v) };
    }
  }
}

/** Whether a label set satisfies every matcher (an absent label reads as ""). */
export function matchesAll(labels: Labels, matchers: readonly Matcher[]): boolean {
  for (const m of matchers) {
    let v = '';
    for (const l of labels) {
      if (l.name === m.name) {
        v = l.value;
        break;
      }
    }
    if (!m.matches(v)) return false;
  }
  return true;
}
