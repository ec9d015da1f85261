// Where ELF bytes come from: a file read piecewise (binaries can be hundreds of MB, and we
// only need headers, notes and symbol tables) or a buffer already in memory (the vDSO).
import { openSync, readSync, fstatSync, closeSync } from 'node:fs';

export interface ByteSource {
  readonly size: number;
  /** Up to `length` bytes at `offset` (fewer at the end of the source). */
  read(offset: number, length: number): Buffer;
  close(): void;
}

export class FileSource implements ByteSource {
  readonly size: number;
  private fd: number | null;

  constructor(readonly path: string) {
    this.fd = openSync(path, 'r');
    try {
      this.size = fstatSync(this.fd).size;
    } catch (e) {
      closeSync(this.fd);
      throw e;
    }
  }

  read(offset: number, length: number): Buffer {
    if (this.fd === null) throw new Error(`${this.path}: read after close`);
    const n = Math.max(0, Math.min(length, this.size - offset));
    const buf = Buffer.allocUnsafe(n);
    let got = 0;
    while (got < n) {
      const r = readSync(this.fd, buf, got, n - got, offset + got);
      if (r === 0) break;
      got += r;
    }
    return buf.subarray(0, got);
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}

export class BufferSource implements ByteSource {
  readonly size: number;
  constructor(private readonly buf: Buffer) {
    this.size = buf.length;
  }
  read(offset: number, length: number): Buffer {
    return this.buf.subarray(offset, Math.min(this.size, offset + length));
  }
  close(): void {}
}
