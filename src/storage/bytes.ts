/**
 * Byte-level writing and bounds-checked reading for the chunk format. Unsigned LEB128 varints
 * (7 bits a byte, low group first) as protobuf uses them. Readers never trust lengths: any read
 * past the end throws `OutOfBounds`, which the chunk decoder turns into a corrupt-data error
 * naming the chunk.
 */

const MAX_SAFE_BIG = BigInt(Number.MAX_SAFE_INTEGER);
const TWO_POW_32 = 0x1_0000_0000;

/**
 * A reusable buffer of at least `size` bytes. Block encoding needs several block-sized
 * temporaries; allocating them per block would churn large-object space and force major GCs
 * over the whole heap of in-memory chunks. Callers must be done with a scratch buffer before
 * anything else asks for the same one (encoding is synchronous, so that holds).
 */
export class Scratch {
  private buf = Buffer.allocUnsafe(0);

  get(size: number): Buffer {
    if (this.buf.length < size) this.buf = Buffer.allocUnsafe(Math.max(size, this.buf.length * 2, 64 * 1024));
    return this.buf;
  }
}

export class OutOfBounds extends Error {
  constructor(what: string) {
    super(what);
    this.name = 'OutOfBounds';
  }
}

/** An append-only byte buffer that doubles when full. */
export class ByteWriter {
  private buf: Buffer;
  length = 0;

  constructor(initialCapacity = 4096) {
    this.buf = Buffer.allocUnsafe(initialCapacity);
  }

  private ensure(extra: number): void {
    const need = this.length + extra;
    if (need <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < need) cap *= 2;
    const next = Buffer.allocUnsafe(cap);
    this.buf.copy(next, 0, 0, this.length);
    this.buf = next;
  }

  /** Unsigned varint of a non-negative integer ≤ 2^53. */
  uvarint(v: number): void {
    this.ensure(10);
    const b = this.buf;
    let p = this.length;
    while (v >= TWO_POW_32) {
      b[p++] = (v % 128) | 0x80;
      v = Math.floor(v / 128);
    }
    while (v >= 0x80) {
      b[p++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    b[p++] = v;
    this.length = p;
  }

  /** Unsigned varint of a bigint in [0, 2^64). */
  uvarintBig(v: bigint): void {
    if (v <= MAX_SAFE_BIG) {
      this.uvarint(Number(v));
      return;
    }
    this.ensure(10);
    while (v >= 0x80n) {
      this.buf[this.length++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    this.buf[this.length++] = Number(v);
  }

  u32(v: number): void {
    this.ensure(4);
    this.buf.writeUInt32BE(v >>> 0, this.length);
    this.length += 4;
  }

  i64(v: bigint): void {
    this.ensure(8);
    this.buf.writeBigInt64BE(v, this.length);
    this.length += 8;
  }

  u8(v: number): void {
    this.ensure(1);
    this.buf[this.length++] = v;
  }

  bytes(src: Uint8Array): void {
    this.ensure(src.length);
    this.buf.set(src, this.length);
    this.length += src.length;
  }

  /** Length-prefixed UTF-8 string. */
  string(s: string): void {
    const len = Buffer.byteLength(s);
    this.uvarint(len);
    this.ensure(len);
    this.buf.write(s, this.length, len, 'utf8');
    this.length += len;
  }

  /** Empties the writer, keeping its memory for reuse. */
  reset(): void {
    this.length = 0;
  }

  /** The written bytes (a view: valid until the next write). */
  view(): Buffer {
    return this.buf.subarray(0, this.length);
  }

  /** A copy of the written bytes that owns its memory. */
  finish(): Buffer {
    return Buffer.from(this.view());
  }
}

/** Sequential reader over a byte range; every read is bounds-checked. */
export class ByteReader {
  pos: number;

  constructor(
    readonly buf: Buffer,
    start = 0,
    readonly end = buf.length,
  ) {
    this.pos = start;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  /** Unsigned varint as a number; values past 2^53 are rejected as corrupt. */
  uvarint(): number {
    const b = this.buf;
    let p = this.pos;
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 8; i++) {
      if (p >= this.end) throw new OutOfBounds('varint runs past the end');
      const byte = b[p++];
      result += (byte & 0x7f) * mul;
      if (byte < 0x80) {
        if (result > Number.MAX_SAFE_INTEGER) throw new OutOfBounds('varint exceeds 2^53');
        this.pos = p;
        return result;
      }
      mul *= 128;
    }
    throw new OutOfBounds('varint too long');
  }

  /**
   * Unsigned varint of at most 7 bytes (< 2^49) as a number; -1, consuming nothing, when the
   * varint is longer (read it with `uvarintBig`).
   */
  uvarintSmall(): number {
    const b = this.buf;
    let p = this.pos;
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 7; i++) {
      if (p >= this.end) throw new OutOfBounds('varint runs past the end');
      const byte = b[p++];
      result += (byte & 0x7f) * mul;
      if (byte < 0x80) {
        this.pos = p;
        return result;
      }
      mul *= 128;
    }
    return -1;
  }

  /** Unsigned varint as a bigint (up to 10 bytes, i.e. 64 bits). */
  uvarintBig(): bigint {
    const start = this.pos;
    const b = this.buf;
    // Fast path: up to 7 bytes (49 bits) fit a number exactly.
    let small = 0;
    let mul = 1;
    for (let i = 0; i < 7 && this.pos < this.end; i++) {
      const byte = b[this.pos++];
      small += (byte & 0x7f) * mul;
      if (byte < 0x80) return BigInt(small);
      mul *= 128;
    }
    this.pos = start;
    let result = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new OutOfBounds('varint runs past the end');
      const byte = b[this.pos++];
      result |= BigInt(byte & 0x7f) << shift;
      if (byte < 0x80) return result;
      shift += 7n;
    }
    throw new OutOfBounds('varint too long');
  }

  private need(n: number): void {
    if (n < 0 || this.pos + n > this.end) throw new OutOfBounds(`needs ${n} bytes, has ${this.end - this.pos}`);
  }

  u8(): number {
    this.need(1);
    return this.buf[this.pos++];
  }

  u32(): number {
    this.need(4);
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  i64(): bigint {
    this.need(8);
    const v = this.buf.readBigInt64BE(this.pos);
    this.pos += 8;
    return v;
  }

  /** A view of the next `n` bytes. */
  bytes(n: number): Buffer {
    this.need(n);
    const v = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }

  string(): string {
    const len = this.uvarint();
    this.need(len);
    const s = this.buf.toString('utf8', this.pos, this.pos + len);
    this.pos += len;
    return s;
  }
}
