/**
 * Splits a byte stream into lines. Bytes after the last newline are held until more arrive,
 * and `pendingBytes` says how many, so a file follower can record the offset of the last
 * complete line it handed on. `\r\n` endings lose their `\r`.
 */
const NEWLINE = 0x0a;
const CR = 0x0d;

export class LineSplitter {
  private rest: Buffer | undefined;

  /** Bytes received but not yet part of a complete line. */
  get pendingBytes(): number {
    return this.rest?.length ?? 0;
  }

  /** The complete lines of `chunk` (with what was held before it); blank lines are skipped. */
  push(chunk: Buffer): string[] {
    const buf = this.rest ? Buffer.concat([this.rest, chunk]) : chunk;
    const lines: string[] = [];
    let start = 0;
    for (let nl = buf.indexOf(NEWLINE, start); nl !== -1; nl = buf.indexOf(NEWLINE, start)) {
      const end = nl > start && buf[nl - 1] === CR ? nl - 1 : nl;
      if (end > start) lines.push(buf.toString('utf8', start, end));
      start = nl + 1;
    }
    this.rest = start < buf.length ? Buffer.from(buf.subarray(start)) : undefined;
    return lines;
  }

  /** The held partial line, as a line of its own (end of input); empty when none. */
  end(): string[] {
    const rest = this.rest;
    this.rest = undefined;
    if (!rest) return [];
    const end = rest[rest.length - 1] === CR ? rest.length - 1 : rest.length;
    return end > 0 ? [rest.toString('utf8', 0, end)] : [];
  }

  /** Forgets the held bytes (the file they came from was truncated). */
  reset(): void {
    this.rest = undefined;
  }
}
