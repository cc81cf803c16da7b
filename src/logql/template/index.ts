/**
 * LogQL's `line_format` / `label_format` templates: the Go text/template language with Loki's
 * functions. compileTemplate parses and compiles once; Template.execute runs per entry.
 */
import { LokiError, type Nanos } from '../../core/index.js';
import { Definitions, TemplateCompiler, isTemplateFunction, type State } from './exec.js';
import { TemplateParseError, parseTemplate } from './parse.js';
import type { LabelMap } from './values.js';

export { TemplateExecError } from './values.js';

export interface TemplateContext {
  /** The current log line (`__line__`). */
  line: string;
  /** The entry's timestamp (`__timestamp__`). */
  ts: Nanos;
}

export interface Template {
  /**
   * Renders the template with `data` as `.` (the entry's labels). Throws TemplateExecError,
   * whose message is Go's, for execution errors (the caller records TemplateFormatErr).
   */
  execute(data: Record<string, string>, ctx: TemplateContext): string;
}

/**
 * Compiles template text. `name` is Go's template name that errors quote: Loki uses `line` for
 * line_format and `label` for label_format. Throws LokiError('parse_error', 'template: ...').
 */
export function compileTemplate(text: string, name: 'line' | 'label' = 'line'): Template {
  let parsed;
  try {
    parsed = parseTemplate(name, text, isTemplateFunction);
  } catch (e) {
    if (e instanceof TemplateParseError) throw new LokiError('parse_error', e.message);
    throw e;
  }
  const compiler = new TemplateCompiler(name, name, text, new Definitions(name, text, parsed.defines));
  const run = compiler.list(parsed.nodes);
  const slots = compiler.slots;
  return {
    execute(data: LabelMap, ctx: TemplateContext): string {
      const vars = new Array(slots);
      vars[0] = data;
      const st: State = { out: '', depth: 0, dot: data, vars, ctx, loop: undefined };
      run(st);
      return st.out;
    },
  };
}
