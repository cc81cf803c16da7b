/**
 * Stages that rewrite rather than parse: `line_format`, `label_format`, `decolorize`, `drop`,
 * `keep`, and the `regexp`/`pattern` parsers.
 */
import { LokiError, compileRe2, newMatcher, re2GroupNames, type Matcher, type Nanos } from '../../core/index.js';
import type { LabelFormatItem, NamedMatcher } from '../syntax/ast.js';
import { compileTemplate, type Template, type TemplateContext } from '../template/index.js';
import {
  DUPLICATE_SUFFIX,
  ERROR_DETAILS_LABEL,
  ERROR_LABEL,
  ERR_TEMPLATE_FORMAT,
  PRESERVE_ERROR_LABEL,
  type LabelsBuilder,
} from './labels.js';
import { PatternMatcher } from './pattern.js';
import { sanitizeLabelKey, type Stage } from './stage.js';

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** `{{.name}}` (with optional trim markers): Loki renders it as a plain label lookup. */
const SIMPLE_FIELD = /^\{\{-?\s*\.([A-Za-z_][A-Za-z0-9_]*)\s*-?\}\}$/;

/** Field names a template reads (`.name`), for "only what the query needs"; a superset is safe. */
export function templateFields(text: string, out: Set<string>): void {
  for (const m of text.matchAll(/\.([A-Za-z_][A-Za-z0-9_]*)/g)) out.add(m[1]);
}

export class LineFormatStage implements Stage {
  private readonly template: Template | undefined;
  /** Set when the template is a single `{{.name}}`. */
  private readonly simpleKey: string | undefined;
  private readonly ctx: TemplateContext = { line: '', ts: 0n };

  constructor(text: string) {
    try {
      this.template = compileTemplate(text, 'line');
    } catch (e) {
      throw new LokiError('parse_error', `invalid line template: ${errorText(e)}`);
    }
    this.simpleKey = SIMPLE_FIELD.exec(text)?.[1];
  }

  process(ts: Nanos, line: string, lb: LabelsBuilder): string | undefined {
    // A lone field is a lookup that does not see the error labels, as in Loki.
    if (this.simpleKey !== undefined) return lb.get(this.simpleKey) ?? '';
    this.ctx.line = line;
    this.ctx.ts = ts;
    try {
      return this.template!.execute(lb.toRecord(), this.ctx);
    } catch (e) {
      lb.setError(ERR_TEMPLATE_FORMAT, errorText(e));
      return line;
    }
  }
}

export class LabelFormatStage implements Stage {
  private readonly templates: (Template | undefined)[];
  private readonly ctx: TemplateContext = { line: '', ts: 0n };

  constructor(private readonly formats: readonly LabelFormatItem[]) {
    const seen = new Set<string>();
    for (const f of formats) {
      if (f.name === ERROR_LABEL) throw new LokiError('parse_error', `${f.name} cannot be formatted`);
      if (seen.has(f.name)) {
        throw new LokiError('parse_error', `multiple label name '${f.name}' not allowed in a single format operation`);
      }
      seen.add(f.name);
    }
    this.templates = formats.map((f) => {
      if (f.rename) return undefined;
      try {
        return compileTemplate(f.value, 'label');
      } catch (e) {
        throw new LokiError('parse_error', `invalid template for label '${f.name}': ${errorText(e)}`);
      }
    });
  }

  process(ts: Nanos, line: string, lb: LabelsBuilder): string | undefined {
    this.ctx.line = line;
    this.ctx.ts = ts;
    // Loki takes one snapshot of the labels for all templates of the stage, at the first one.
    let data: Record<string, string> | undefined;
    for (let i = 0; i < this.formats.length; i++) {
      const f = this.formats[i];
      const tmpl = this.templates[i];
      if (tmpl === undefined) {
        const v = lb.get(f.value);
        if (v !== undefined) {
          lb.set(f.name, v);
          lb.delete(f.value);
        }
        continue;
      }
      data ??= lb.toRecord();
      try {
        lb.set(f.name, tmpl.execute(data, this.ctx));
      } catch (e) {
        lb.setError(ERR_TEMPLATE_FORMAT, errorText(e));
      }
    }
    return line;
  }
}

/** ANSI escape sequences (colours, cursor moves), as Loki's decolorize removes them. */
const ANSI = /[\u001b\u009b][[\]()#;?]*(?:(?:(?:[a-zA-Z\d]*(?:;[a-zA-Z\d]*)*)?\u0007)|(?:(?:\d{1,4}(?:;\d{0,4})*)?[\dA-PRZcf-ntqry=><~]))/g;

export class DecolorizeStage implements Stage {
  process(_ts: Nanos, line: string): string | undefined {
    if (line.indexOf('\u001b') < 0 && line.indexOf('\u009b') < 0) return line;
    return line.replace(ANSI, '');
  }
}

interface NameOrMatcher {
  name: string;
  matcher: Matcher | undefined;
}

function compileNamed(items: readonly NamedMatcher[]): NameOrMatcher[] {
  return items.map((item) =>
    item.kind === 'name'
      ? { name: item.name, matcher: undefined }
      : { name: item.matcher.name, matcher: newMatcher(item.matcher.type, item.matcher.name, item.matcher.value) },
  );
}

/** `| drop a, b="v"`: deleting `__error__`/`__error_details__` clears the error state. */
export class DropStage implements Stage {
  private readonly items: NameOrMatcher[];

  constructor(labels: readonly NamedMatcher[]) {
    this.items = compileNamed(labels);
  }

  process(_ts: Nanos, line: string, lb: LabelsBuilder): string | undefined {
    for (const { name, matcher } of this.items) {
      if (name === ERROR_LABEL) {
        if (!matcher || matcher.matches(lb.err)) lb.err = '';
      } else if (name === ERROR_DETAILS_LABEL) {
        if (!matcher || matcher.matches(lb.errDetails)) lb.errDetails = '';
      } else if (matcher) {
        if (matcher.matches(lb.get(name) ?? '')) lb.delete(name);
      } else if (lb.get(name) !== undefined) {
        lb.delete(name);
      }
    }
    return line;
  }
}

/** `| keep a, b="v"`: everything else goes, except the error labels. */
export class KeepStage implements Stage {
  private readonly items: NameOrMatcher[];

  constructor(labels: readonly NamedMatcher[]) {
    this.items = compileNamed(labels);
  }

  process(_ts: Nanos, line: string, lb: LabelsBuilder): string | undefined {
    for (const l of lb.currentLabels()) {
      if (l.name === ERROR_LABEL || l.name === ERROR_DETAILS_LABEL || l.name === PRESERVE_ERROR_LABEL) continue;
      let keep = false;
      for (const { name, matcher } of this.items) {
        if (name !== l.name) continue;
        if (!matcher || matcher.matches(l.value)) {
          keep = true;
          break;
        }
      }
      if (!keep) lb.delete(l.name);
    }
    return line;
  }
}

/** `| regexp "re"`: named groups of the first match become labels (no match: nothing, no error). */
export class RegexpParser implements Stage {
  private readonly re: RegExp;
  /** Capture index → sanitised label name ('' when the group is unnamed). */
  private readonly names: string[];

  constructor(pattern: string) {
    this.re = compileRe2(pattern);
    const groupNames = re2GroupNames(this.re);
    const seen = new Set<string>();
    this.names = groupNames.map((n) => (n === undefined ? '' : sanitizeLabelKey(n)));
    let named = 0;
    for (const n of groupNames) {
      if (n === undefined) continue;
      if (seen.has(n)) throw new LokiError('parse_error', `duplicate extracted label name '${n}'`);
      seen.add(n);
      named++;
    }
    if (named === 0) throw new LokiError('parse_error', 'at least one named capture must be supplied');
  }

  process(_ts: Nanos, line: string, lb: LabelsBuilder): string | undefined {
    const m = this.re.exec(line);
    if (m === null) return line;
    for (let i = 1; i < this.names.length; i++) {
      let key = this.names[i];
      if (key === '') continue;
      if (lb.conflicts(key)) key += DUPLICATE_SUFFIX;
      if (!lb.hints.shouldExtract(key) || lb.isExtracted(key)) continue;
      lb.set(key, m[i] ?? '');
      if (!lb.continueParsing(key)) return undefined;
    }
    return line;
  }
}

/** `| pattern "<a> <_> <b>"`. */
export class PatternParser implements Stage {
  private readonly matcher: PatternMatcher;
  private readonly captures: string[] = [];

  constructor(pattern: string) {
    this.matcher = PatternMatcher.forParser(pattern);
  }

  process(_ts: Nanos, line: string, lb: LabelsBuilder): string | undefined {
    if (lb.noLabelsToExtract()) return line;
    const values = this.matcher.matches(line, this.captures);
    const names = this.matcher.names;
    for (let i = 0; i < values.length; i++) {
      let name = names[i];
      if (lb.conflicts(name)) name += DUPLICATE_SUFFIX;
      if (lb.isExtracted(name) || !lb.hints.shouldExtract(name)) continue;
      lb.set(name, values[i]);
      if (!lb.continueParsing(name)) return undefined;
    }
    return line;
  }
}
