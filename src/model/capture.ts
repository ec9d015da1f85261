// The capture envelope every tool writes with --output and `huatuo report` reads back
// (docs/capture-format.md): plain data; writing and reading live in src/capture/.
import type { Overhead } from './overhead.js';

export const CAPTURE_FORMAT = 'huatuo-capture';
/** 2: snake_case keys and null for unknown values everywhere (1: profile samples had cgroupId). */
export const CAPTURE_VERSION = 2;

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
