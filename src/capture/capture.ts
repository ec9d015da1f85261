// The capture file every tool writes with --output and `huatuo report` reads back:
// one versioned JSON envelope (docs/capture-format.md). Written atomically (temp file in
// the same directory, fsync, rename) with mode 0600, since captures may hold command lines.
import { openSync, writeFileSync, fsyncSync, closeSync, renameSync, unlinkSync, readFileSync, chmodSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';
import { hostname, release } from 'node:os';
import { HuatuoError, ExitCode } from '../errors.js';
import type { Overhead } from '../bpf-loader/overhead.js';

export const CAPTURE_FORMAT = 'huatuo-capture';
export const CAPTURE_VERSION = 1;

export interface Capture<D = unknown> {
  format: typeof CAPTURE_FORMAT;
  version: number;
  tool: string;
  /** The command line after `huatuo` (may hold names: hence mode 0600). */
  args: string[];
  host: string;
  kernel: string;
  /** ISO 8601. */
  started: string;
  ended: string;
  overhead: Overhead | null;
  data: D;
}

export function makeCapture<D>(tool: string, started: Date, overhead: Overhead | null, data: D): Capture<D> {
  return {
    format: CAPTURE_FORMAT,
    version: CAPTURE_VERSION,
    tool,
    args: process.argv.slice(2),
    host: hostname(),
    kernel: release(),
    started: started.toISOString(),
    ended: new Date().toISOString(),
    overhead,
    data,
  };
}

/** Write a file atomically with mode 0600. */
export function writeFileAtomic(path: string, text: string | Uint8Array): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  let fd = -1;
  try {
    fd = openSync(tmp, 'wx', 0o600);
    // writeFileSync on an fd loops until every byte is written (a bare writeSync may not).
    writeFileSync(fd, text);
    fsyncSync(fd);
    closeSync(fd);
    fd = -1;
    chmodSync(tmp, 0o600);
    renameSync(tmp, path);
  } catch (e) {
    if (fd >= 0) closeSync(fd);
    try { unlinkSync(tmp); } catch { /* never created */ }
    throw new HuatuoError(`cannot write ${path}: ${(e as Error).message}`, ExitCode.Runtime);
  }
}

export function writeCapture(path: string, capture: Capture): void {
  writeFileAtomic(path, JSON.stringify(capture) + '\n');
}

export function readCapture(path: string): Capture {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new HuatuoError(`${path} is not a huatuo capture: ${(e as Error).message}`, ExitCode.Runtime);
  }
  const c = parsed as Partial<Capture>;
  if (c?.format !== CAPTURE_FORMAT) throw new HuatuoError(`${path} is not a huatuo capture (no "format": "${CAPTURE_FORMAT}")`, ExitCode.Runtime);
  if (typeof c.version !== 'number' || c.version > CAPTURE_VERSION) {
    throw new HuatuoError(`${path} is capture version ${c.version}; this huatuo reads up to ${CAPTURE_VERSION}`, ExitCode.Runtime);
  }
  return c as Capture;
}
