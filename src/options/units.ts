// Parsing of durations and latencies given on the command line.
import { InvalidArgumentError } from 'commander';

const UNIT_NS: Record<string, number> = { ns: 1, us: 1e3, 'µs': 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/** "10ms", "500us", "2s", or a bare number in `bareUnit`; returns ns. */
export function parseTimeNs(text: string, bareUnit: keyof typeof UNIT_NS, option?: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ns|us|µs|ms|s|m|h)?\s*$/.exec(text);
  if (!m) throw new InvalidArgumentError(`${option ? `${option}: ` : ''}"${text}" is not a duration (e.g. 500us, 10ms, 2s)`);
  const ns = Number(m[1]) * UNIT_NS[m[2] ?? bareUnit];
  if (!Number.isFinite(ns)) throw new InvalidArgumentError(`"${text}" is out of range`);
  return Math.round(ns);
}

/** A positive duration in seconds (bare numbers are seconds), for -d and -i. */
export function parseSeconds(text: string): number {
  const ns = parseTimeNs(text, 's');
  if (ns <= 0) throw new InvalidArgumentError(`"${text}" must be greater than zero`);
  return ns / 1e9;
}

export function parsePositiveInt(text: string): number {
  if (!/^\d+$/.test(text.trim()) || Number(text) <= 0) throw new InvalidArgumentError(`"${text}" must be a positive integer`);
  return Number(text);
}

/** Format ns in a fixed unit for tables (µs by default, ms with -m). */
export function formatIn(ns: number, unit: 'us' | 'ms'): string {
  const v = unit === 'ms' ? ns / 1e6 : ns / 1e3;
  if (v === 0) return '0';
  if (v >= 100) return v.toFixed(0);
  if (v >= 10) return v.toFixed(1);
  return v.toFixed(2);
}

/** Format ns with the most readable unit ("4.2ms", "830us"). */
export function formatDuration(ns: number): string {
  if (ns >= 1e9) return `${(ns / 1e9).toFixed(2)}s`;
  if (ns >= 1e6) return `${(ns / 1e6).toFixed(ns >= 1e8 ? 0 : 1)}ms`;
  if (ns >= 1e3) return `${(ns / 1e3).toFixed(ns >= 1e5 ? 0 : 1)}us`;
  return `${Math.round(ns)}ns`;
}
