// The capture file every tool writes with --output and `huatuo report` reads back:
// one versioned JSON envelope (docs/capture-format.md). Written by output/files.ts:
// atomically, mode 0600, since captures may hold command lines.
import { readFileSync } from 'node:fs';
import { writeOutput } from '../output/files.js';
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

/** Write the capture (mode 0600, atomically; see output/files.ts for the rules). */
export function writeCapture(path: string, capture: Capture): void {
  writeOutput({ flag: '-o', path, kind: 'capture' }, JSON.stringify(capture) + '\n');
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
