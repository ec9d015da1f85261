// autotrace's evidence on disk: one directory per capture in --dir, and index.ndjson there,
// one line per trigger, capture and suppressed trigger. A capture's files are written into
// a hidden `.NAME.partial` directory (0700, files 0600, each itself temp + rename) that is
// renamed into place whole, so a reader of --dir sees a bundle complete or not at all; a
// partial directory left by a crash is never mistaken for one, and is removed at start.
import { appendFileSync, chmodSync, lstatSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { HuatuoError, ExitCode } from '../errors.js';

const PARTIAL = /^\..+\.partial$/;

export class BundleDir {
  readonly index: string;

  constructor(readonly dir: string) {
    this.index = join(dir, 'index.ndjson');
  }

  /** Create --dir (0700) and check index.ndjson is a regular file or absent; before anything is attached. */
  prepare(): void {
    try {
      mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    } catch (e) {
      throw new HuatuoError(`--dir ${this.dir}: cannot create it (${(e as NodeJS.ErrnoException).code})`, ExitCode.Usage);
    }
    const st = lstatOrNull(this.dir);
    if (!st?.isDirectory()) throw new HuatuoError(`--dir ${this.dir}: not a directory`, ExitCode.Usage);
    const idx = lstatOrNull(this.index);
    if (idx && !idx.isFile()) throw new HuatuoError(`--dir ${this.dir}: index.ndjson there is not a regular file; it is never replaced`, ExitCode.Usage);
    for (const name of readdirSync(this.dir)) if (PARTIAL.test(name)) rmSync(join(this.dir, name), { recursive: true, force: true });
  }

  /** One line in the index (O_APPEND: lines from one writer never interleave). */
  log(record: object): void {
    appendFileSync(this.index, JSON.stringify(record) + '\n', { mode: 0o600 });
  }

  /** A bundle being written; `name` must be new in --dir. */
  begin(name: string): Bundle {
    return new Bundle(this.dir, name);
  }

  /** Bytes of the bundles in --dir (for the disk budget across restarts). */
  bytesUsed(): number {
    let n = 0;
    for (const name of readdirSync(this.dir)) {
      if (PARTIAL.test(name)) continue;
      const d = join(this.dir, name);
      if (!lstatOrNull(d)?.isDirectory()) continue;
      for (const f of readdirSync(d)) n += Number(lstatOrNull(join(d, f))?.size ?? 0);
    }
    return n;
  }
}

export class Bundle {
  readonly partial: string;
  readonly final: string;
  private done = false;

  constructor(dir: string, name: string) {
    this.partial = join(dir, `.${name}.partial`);
    this.final = join(dir, name);
    if (lstatOrNull(this.final)) throw new HuatuoError(`bundle ${this.final} exists already`, ExitCode.Runtime);
    mkdirSync(this.partial, { mode: 0o700 });
  }

  /** Where a file of the bundle is written (inside the partial directory). */
  file(name: string): string {
    return join(this.partial, name);
  }

  /** Move it into place whole; its size in bytes. */
  commit(): number {
    let bytes = 0;
    for (const f of readdirSync(this.partial)) {
      const p = join(this.partial, f);
      chmodSync(p, 0o600); // flame graphs are written as exports (0644): evidence is root's
      bytes += statSync(p).size;
    }
    renameSync(this.partial, this.final);
    this.done = true;
    return bytes;
  }

  /** Remove what was written (idempotent; nothing after commit). */
  discard(): void {
    if (!this.done) rmSync(this.partial, { recursive: true, force: true });
    this.done = true;
  }
}

function lstatOrNull(p: string): ReturnType<typeof lstatSync> | null {
  try {
    return lstatSync(p);
  } catch {
    return null;
  }
}
