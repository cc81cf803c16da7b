/**
 * Seeded generators of LogQL text for the cross-check and fuzz tests: grammar-driven queries
 * (mostly valid, sometimes slightly wrong on purpose) and character/token mutations of them.
 */

export { rng } from '../../../src/cli/workload.js';

export class Gen {
  constructor(readonly random: () => number) {}

  int(n: number): number {
    return Math.floor(this.random() * n);
  }

  chance(p: number): boolean {
    return this.random() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }

  /** 0..max items, joined. */
  list(max: number, item: () => string, sep: string, min = 0): string {
    const n = min + this.int(max - min + 1);
    return Array.from({ length: n }, item).join(sep);
  }
}

const PLAIN_LABELS = ['app', 'env', 'job', 'namespace', 'pod', 'level', 'status', '_x', 'Level', 'latency'];
/** Function names are labels too unless a `(` follows (Loki); lezer-logql always reserves them. */
const FUNCTION_NAME_LABELS = ['rate', 'count', 'bytes', 'ip', 'sum', 'vector', 'duration'];
const VALUES = ['foo', 'bar', 'prod', '', 'a b', 'x"y', '.+', '.*', 'a|b', 'err.*', '\\d+', '(?i)err', '10.0.0.0/8'];
const RANGES = ['1m', '5m', '30s', '1h', '1h30m', '500ms', '2d', '0', '1w'];
const DURATIONS = ['1s', '250ms', '1.5h', '5m', '-5m', '1h30m', '10us'];
const BYTES = ['10B', '1KB', '1.5KiB', '10MB', '2GiB', '5PB', '1kB'];
const NUMBERS = ['0', '1', '1.5', '-1', '100', '1e3', '0.99', '2', '.5'];
const RANGE_OPS = ['count_over_time', 'rate', 'rate_counter', 'bytes_over_time', 'bytes_rate', 'avg_over_time', 'sum_over_time', 'min_over_time', 'max_over_time', 'stdvar_over_time', 'stddev_over_time', 'quantile_over_time', 'first_over_time', 'last_over_time', 'absent_over_time'];
const UNWRAP_OPS = ['avg_over_time', 'sum_over_time', 'min_over_time', 'max_over_time', 'stdvar_over_time', 'stddev_over_time', 'quantile_over_time', 'first_over_time', 'last_over_time', 'rate', 'rate_counter', 'absent_over_time'];
const LOG_RANGE_OPS = ['count_over_time', 'rate', 'bytes_over_time', 'bytes_rate', 'absent_over_time'];
const VECTOR_OPS = ['sum', 'avg', 'count', 'max', 'min', 'stddev', 'stdvar', 'topk', 'bottomk', 'sort', 'sort_desc'];
const BINARY_OPS = ['+', '-', '*', '/', '%', '^', '==', '!=', '>', '>=', '<', '<=', 'and', 'or', 'unless'];

export class QueryGen extends Gen {
  private readonly labels: readonly string[];

  /** `functionNameLabels`: also use label names that are function names (`rate`, `ip`, ...). */
  constructor(random: () => number, functionNameLabels = true) {
    super(random);
    this.labels = functionNameLabels ? [...PLAIN_LABELS, ...FUNCTION_NAME_LABELS] : PLAIN_LABELS;
  }

  quoted(v: string): string {
    return this.chance(0.15) && !v.includes('`') ? `\`${v}\`` : JSON.stringify(v);
  }

  ws(): string {
    return this.pick(['', ' ', ' ', '  ', '\n']);
  }

  matcher(): string {
    return `${this.pick(this.labels)}${this.ws()}${this.pick(['=', '!=', '=~', '!~', '=', '='])}${this.ws()}${this.quoted(this.pick(VALUES))}`;
  }

  selector(): string {
    const first = `${this.pick(['app', 'job', 'namespace'])}="${this.pick(['foo', 'api', 'loki'])}"`;
    const rest = this.list(2, () => this.matcher(), ', ');
    return `{${first}${rest ? ', ' + rest : ''}}`;
  }

  lineFilter(): string {
    const op = this.pick(['|=', '!=', '|~', '!~', '|>', '!>']);
    const operand = () => (this.chance(0.15) ? `ip("${this.pick(['10.0.0.0/8', '::1', '1.2.3.4'])}")` : this.quoted(this.pick(['error', 'timeout', '<_> GET <_>', '(?i)warn', 'a|b', ''])));
    const operands = [operand()];
    if (this.chance(0.2)) operands.push(operand());
    if (this.chance(0.1)) operands.push(operand());
    return `${op} ${operands.join(' or ')}`;
  }

  labelFilterAtom(depth: number): string {
    if (depth < 2 && this.chance(0.15)) return `(${this.labelFilter(depth + 1)})`;
    const name = this.pick(this.labels);
    switch (this.int(6)) {
      case 0: return `${name}${this.pick(['=', '!=', '=~', '!~'])}${this.quoted(this.pick(VALUES))}`;
      case 1: return `${name} ${this.pick(['>', '>=', '<', '<=', '==', '!=', '='])} ${this.pick(NUMBERS)}`;
      case 2: return `${name} ${this.pick(['>', '>=', '<', '<=', '=='])} ${this.pick(DURATIONS)}`;
      case 3: return `${name} ${this.pick(['>', '<', '=='])} ${this.pick(BYTES)}`;
      case 4: return `${name} ${this.pick(['=', '!='])} ip("${this.pick(['10.0.0.0/8', '1.2.3.4-1.2.3.9'])}")`;
      default: return `__error__${this.pick(['=', '!='])}"${this.pick(['', 'JSONParserErr'])}"`;
    }
  }

  labelFilter(depth = 0): string {
    let out = this.labelFilterAtom(depth);
    const n = this.int(3);
    for (let i = 0; i < n; i++) out += `${this.pick([' and ', ' or ', ', ', ' '])}${this.labelFilterAtom(depth)}`;
    return out;
  }

  stage(): string {
    switch (this.int(14)) {
      case 0: case 1: return this.lineFilter();
      case 2: return '| json' + (this.chance(0.3) ? ` ${this.list(2, () => `${this.pick(this.labels)}="${this.pick(['a', 'a.b', 'a[0]', '["x y"]'])}"`, ', ', 1)}` : '');
      case 3: return `| logfmt${this.chance(0.3) ? ' --strict' : ''}${this.chance(0.3) ? ' --keep-empty' : ''}${this.chance(0.2) ? ' a="b", c' : ''}`;
      case 4: return `| regexp "${this.pick(['(?P<user>\\\\w+)', '(?P<a>.)(?P<b>.)', '(?<x>[0-9]+)'])}"`;
      case 5: return `| pattern "${this.pick(['<ip> - <_> <status>', '<_> <method> <path>', '<a> x <b>'])}"`;
      case 6: return '| unpack';
      case 7: return `| line_format "${this.pick(['{{.msg}}', '{{ .a | upper }}', 'x={{.x}}', '{{ if .a }}y{{ end }}'])}"`;
      case 8: return `| label_format ${this.list(2, () => `${this.pick(['dst', 'who', 'n'])}${this.int(9)}=${this.chance(0.5) ? this.pick(this.labels) : '"{{.app}}"'}`, ',', 1)}`;
      case 9: return '| decolorize';
      case 10: return `| ${this.pick(['drop', 'keep'])} ${this.list(2, () => (this.chance(0.5) ? this.pick(this.labels) : this.matcher()), ', ', 1)}`;
      default: return `| ${this.labelFilter()}`;
    }
  }

  pipeline(max = 4): string {
    return this.list(max, () => this.stage(), this.pick([' ', '']));
  }

  logQuery(): string {
    return `${this.selector()} ${this.pipeline()}`.trim();
  }

  unwrap(): string {
    const conv = this.chance(0.3) ? `${this.pick(['bytes', 'duration', 'duration_seconds'])}(${this.pick(this.labels)})` : this.pick(this.labels);
    const post = this.chance(0.3) ? ` | ${this.labelFilter()}` : '';
    return `| unwrap ${conv}${post}`;
  }

  logRange(withUnwrap: boolean): string {
    const sel = this.selector();
    const pipe = this.pipeline(3);
    const range = `[${this.pick(RANGES)}]`;
    const offset = this.chance(0.2) ? ` offset ${this.pick(['1h', '5m', '-10m', '1d'])}` : '';
    const unwrap = withUnwrap ? ` ${this.unwrap()}` : '';
    switch (this.int(4)) {
      case 0: return `${sel} ${pipe}${unwrap} ${range}${offset}`;
      case 1: return `${sel}${range}${offset} ${pipe}${unwrap}`;
      case 2: return `(${sel} ${pipe}${unwrap})${range}${offset}`;
      default: return `(${sel} ${pipe}${unwrap} ${range}${offset})`;
    }
  }

  rangeAggregation(): string {
    const withUnwrap = this.chance(0.4);
    const op = this.chance(0.9) ? this.pick(withUnwrap ? UNWRAP_OPS : LOG_RANGE_OPS) : this.pick(RANGE_OPS);
    const param = op === 'quantile_over_time' ? `${this.pick(['0.99', '0.5', '1'])}, ` : '';
    const grouping = withUnwrap && op !== 'sum_over_time' && !op.startsWith('rate') && op !== 'absent_over_time' && this.chance(0.3)
      ? ` ${this.pick(['by', 'without'])} (${this.list(2, () => this.pick(this.labels), ', ')})`
      : '';
    return `${op}(${param}${this.logRange(withUnwrap)})${grouping}`;
  }

  metric(depth = 0): string {
    const leaf = depth >= 3;
    switch (leaf ? this.int(3) : this.int(8)) {
      case 0: case 1: return this.rangeAggregation();
      case 2: return this.pick(NUMBERS);
      case 3: {
        const op = this.pick(VECTOR_OPS);
        const k = op === 'topk' || op === 'bottomk' ? `${1 + this.int(10)}, ` : '';
        const g = op.startsWith('sort') || !this.chance(0.5) ? null : `${this.pick(['by', 'without'])} (${this.list(2, () => this.pick(this.labels), ', ')})`;
        return g && this.chance(0.5) ? `${op} ${g} (${k}${this.metric(depth + 1)})` : `${op}(${k}${this.metric(depth + 1)})${g ? ' ' + g : ''}`;
      }
      case 4: {
        const op = this.pick(BINARY_OPS);
        const bool = this.chance(0.2) ? ' bool' : '';
        const matching = this.chance(0.2)
          ? ` ${this.pick(['on', 'ignoring'])}(${this.list(2, () => this.pick(this.labels), ', ')})${this.chance(0.4) ? ` ${this.pick(['group_left', 'group_right'])}(${this.list(1, () => this.pick(this.labels), ', ')})` : ''}`
          : '';
        return `${this.metric(depth + 1)} ${op}${bool}${matching} ${this.metric(depth + 1)}`;
      }
      case 5: return `(${this.metric(depth + 1)})`;
      case 6: return `vector(${this.pick(['0', '1', '2.5'])})`;
      default: return `label_replace(${this.metric(depth + 1)}, "dst", "$1", "${this.pick(this.labels)}", "${this.pick(['(.*)', '(.*)-.*', '[a-z]+'])}")`;
    }
  }

  query(): string {
    return this.chance(0.35) ? this.logQuery() : this.metric();
  }
}

const TOKENS = [
  '{', '}', '(', ')', '[5m]', ',', '|', '|=', '!=', '|~', '!~', '=', '=~', '==', '>', '<', '+', '-', '*', '/',
  'or', 'and', 'by', 'without', 'bool', 'on', 'offset 1h', 'json', 'logfmt', 'unwrap x', '"x"', '`y`', '1', '5m',
  'rate', 'sum', 'ip', 'x', '#', '/*', '\'', '@', '.', ']', '[', '\\', '"', '--strict', '10KB',
];

/** A small random edit: delete, duplicate, insert a token or character, swap neighbours. */
export function mutate(g: Gen, q: string): string {
  const i = g.int(q.length + 1);
  switch (g.int(6)) {
    case 0: return q.slice(0, i) + q.slice(i + 1 + g.int(3));
    case 1: return q.slice(0, i) + g.pick(TOKENS) + q.slice(i);
    case 2: return q.slice(0, i) + ` ${g.pick(TOKENS)} ` + q.slice(i);
    case 3: return q.slice(0, i) + q.slice(i, i + 1 + g.int(4)).repeat(2) + q.slice(i + 1);
    case 4: return q.slice(0, i) + String.fromCharCode(g.int(128)) + q.slice(i);
    default: return i + 1 < q.length ? q.slice(0, i) + q[i + 1] + q[i] + q.slice(i + 2) : q + ')';
  }
}
