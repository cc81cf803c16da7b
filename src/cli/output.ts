/**
 * How query, tail, labels and series answers are printed: `default` for people (time, the
 * labels that tell streams apart, the line; colour on a terminal), `raw` for the lines alone,
 * `jsonl` for programs (one JSON object per entry or sample, exact nanosecond times).
 */
import { formatRFC3339Nano, parseNanosString } from '../core/index.js';
import { UsageError } from './flags.js';

export type OutputMode = 'default' | 'raw' | 'jsonl';

export function parseOutputMode(value: string): OutputMode {
  if (value === 'default' || value === 'raw' || value === 'jsonl') return value;
  throw new UsageError(`invalid --output '${value}': expected default, raw or jsonl`);
}

/** Colour only on a terminal, and never when NO_COLOR is set (https://no-color.org). */
export function useColor(out: NodeJS.WriteStream, env: NodeJS.ProcessEnv = process.env): boolean {
  return out.isTTY === true && !env.NO_COLOR;
}

const PALETTE = [36, 33, 35, 32, 34, 91, 96, 93, 95, 92];
const DIM = '\x1b[2m';
const RESET = '\x1b[0m';

/** The same label set always gets the same colour, so a stream is recognisable at a glance. */
function colorOf(key: string): string {
  let h = 0;
  for (let i = 0; i < key.length; i++) h = (Math.imul(h, 31) + key.charCodeAt(i)) | 0;
  return `\x1b[${PALETTE[Math.abs(h) % PALETTE.length]}m`;
}

export type LabelMap = Record<string, string>;

/** `{a="1", b="2"}`, names sorted, values JSON-quoted (the same as Go quoting for text). */
export function formatLabels(labels: LabelMap): string {
  return `{${Object.keys(labels)
    .sort()
    .map((k) => `${k}=${JSON.stringify(labels[k])}`)
    .join(', ')}}`;
}

/** Labels with the same value in every set (only meaningful with more than one set). */
export function commonLabels(sets: LabelMap[]): LabelMap {
  if (sets.length < 2) return {};
  const common: LabelMap = { ...sets[0] };
  for (const s of sets.slice(1)) {
    for (const k of Object.keys(common)) if (s[k] !== common[k]) delete common[k];
  }
  return common;
}

/** `labels` less those with the same value in `drop`. */
function without(labels: LabelMap, drop: LabelMap): LabelMap {
  const out: LabelMap = {};
  for (const k in labels) if (drop[k] !== labels[k]) out[k] = labels[k];
  return out;
}

export interface PrintedEntry {
  /** Nanoseconds, as the API's decimal string. */
  ts: string;
  /** The stream's (indexed) labels. */
  labels: LabelMap;
  line: string;
  /** Structured metadata and parsed labels, when the server categorised them. */
  extra?: EntryExtras;
}

/** The third element of a value under Loki's `categorize-labels` encoding. */
export interface EntryExtras {
  structuredMetadata?: LabelMap;
  parsed?: LabelMap;
}

/** Asks the server to keep structured metadata and parsed labels apart from stream labels. */
export const CATEGORIZE_HEADER = { 'X-Loki-Response-Encoding-Flags': 'categorize-labels' };

function nonEmpty(m: LabelMap | undefined): LabelMap | undefined {
  return m && Object.keys(m).length > 0 ? m : undefined;
}

/** Time for people: UTC, milliseconds. */
function shortTime(tsNs: string): string {
  const ns = parseNanosString(tsNs);
  return ns === undefined ? tsNs : new Date(Number(ns / 1_000_000n)).toISOString();
}

export class EntryPrinter {
  private readonly color: boolean;
  private hidden: LabelMap = {};
  /** The printed label text per label set: entries of one stream share its labels object. */
  private readonly labelText = new WeakMap<LabelMap, string>();

  constructor(
    private readonly out: NodeJS.WritableStream,
    private readonly mode: OutputMode,
    color: boolean,
  ) {
    this.color = color && mode === 'default';
  }

  /** Labels left out of each line because every entry has them (printed once by the caller). */
  hideLabels(labels: LabelMap): void {
    this.hidden = labels;
  }

  private labelsOf(labels: LabelMap): string {
    let text = this.labelText.get(labels);
    if (text === undefined) {
      text = formatLabels(without(labels, this.hidden));
      if (this.color) text = `${colorOf(text)}${text}${RESET}`;
      this.labelText.set(labels, text);
    }
    return text;
  }

  print(e: PrintedEntry): void {
    let text: string;
    switch (this.mode) {
      case 'raw':
        text = e.line;
        break;
      case 'jsonl': {
        const ns = parseNanosString(e.ts);
        text = JSON.stringify({
          timestamp: ns === undefined ? e.ts : formatRFC3339Nano(ns),
          labels: e.labels,
          structuredMetadata: nonEmpty(e.extra?.structuredMetadata),
          parsed: nonEmpty(e.extra?.parsed),
          line: e.line,
        });
        break;
      }
      default: {
        const time = shortTime(e.ts);
        text = this.color
          ? `${DIM}${time}${RESET} ${this.labelsOf(e.labels)} ${e.line}`
          : `${time} ${this.labelsOf(e.labels)} ${e.line}`;
      }
    }
    this.out.write(`${text}\n`);
  }
}

/** Aligned columns; the first row is the header. */
export function table(rows: string[][]): string {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ').trimEnd()).join('\n') + '\n';
}
