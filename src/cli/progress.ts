/**
 * The progress line of long pushes: rewritten in place on a terminal once a second, silent when
 * stderr is not a terminal (scripts and pipes get no control characters).
 */
import type { Pusher } from './pusher.js';

const REFRESH_MS = 1000;

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

export class Progress {
  private readonly started = Date.now();
  private timer: NodeJS.Timeout | undefined;
  private shown = false;

  constructor(
    private readonly pusher: Pusher,
    private readonly out: NodeJS.WriteStream = process.stderr,
    private readonly label = 'pushed',
  ) {
    if (out.isTTY) {
      this.timer = setInterval(() => this.render(), REFRESH_MS);
      this.timer.unref();
    }
  }

  private line(): string {
    const secs = Math.max((Date.now() - this.started) / 1000, 0.001);
    const { linesSent, bytesSent, linesDropped } = this.pusher;
    const rate = Math.round(linesSent / secs).toLocaleString('en-US');
    const dropped = linesDropped ? `, ${linesDropped.toLocaleString('en-US')} dropped` : '';
    return (
      `${this.label} ${linesSent.toLocaleString('en-US')} lines (${formatBytes(bytesSent)}) in ${secs.toFixed(1)}s` +
      ` · ${rate} lines/s · ${formatBytes(Math.round(bytesSent / secs))}/s${dropped}`
    );
  }

  private render(): void {
    this.out.write(`\r\x1b[2K${this.line()}`);
    this.shown = true;
  }

  /** Stops refreshing; on a terminal leaves the final figures on their own line. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.out.isTTY && (this.shown || this.pusher.linesSent > 0)) {
      this.render();
      this.out.write('\n');
    }
  }
}
