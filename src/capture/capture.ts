// The capture file every tool writes with --output and `huatuo report` reads back
// (read.ts): one versioned JSON envelope (docs/capture-format.md, docs/schemas/).
// Written by output/files.ts: atomically, mode 0600, since captures may hold command lines.
import { writeOutput } from '../output/files.js';
import { hostname, release } from 'node:os';
import { CAPTURE_FORMAT, CAPTURE_VERSION, type Capture } from '../model/capture.js';
import type { Overhead } from '../model/overhead.js';

export { CAPTURE_FORMAT, CAPTURE_VERSION, type Capture } from '../model/capture.js';

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
