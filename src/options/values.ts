// The one way option values are checked: each kind of value (integer, number, duration,
// one of a set) has a parser factory; a bad value throws commander's InvalidArgumentError,
// which the CLI prints as one line and turns into exit 2. Messages say what is allowed.
import { InvalidArgumentError } from 'commander';

/** The largest pid Linux can hand out (PID_MAX_LIMIT, include/linux/threads.h). */
export const PID_MAX_LIMIT = 4_194_304;

interface Range {
  min?: number;
  max?: number;
}

function rangeText({ min, max }: Range, what: string): string {
  if (min !== undefined && max !== undefined) return `${what} from ${min} to ${max}`;
  if (min !== undefined) return min === 1 && what === 'an integer' ? 'a positive integer' : `${what} ≥ ${min}`;
  if (max !== undefined) return `${what} ≤ ${max}`;
  return what;
}

function inRange(n: number, { min, max }: Range): boolean {
  return (min === undefined || n >= min) && (max === undefined || n <= max);
}

/** An integer in [min, max]: "5", not "5.0", "0x5", "1e3" or "". */
export function intArg(range: Range = {}): (text: string) => number {
  return (text) => {
    const n = Number(text);
    if (!/^\s*[-+]?\d+\s*$/.test(text) || !Number.isSafeInteger(n) || !inRange(n, range)) {
      throw new InvalidArgumentError(`"${text}" must be ${rangeText(range, 'an integer')}`);
    }
    return n;
  };
}

/** A finite decimal number in [min, max]. */
export function numberArg(range: Range = {}): (text: string) => number {
  return (text) => {
    const n = Number(text);
    if (!/^\s*[-+]?(\d+\.?\d*|\.\d+)\s*$/.test(text) || !Number.isFinite(n) || !inRange(n, range)) {
      throw new InvalidArgumentError(`"${text}" must be ${rangeText(range, 'a number')}`);
    }
    return n;
  };
}

/** A pid or tid: 1 to PID_MAX_LIMIT. */
export const pidArg = intArg({ min: 1, max: PID_MAX_LIMIT });

const UNIT_NS: Record<string, number> = { ns: 1, us: 1e3, 'µs': 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };
export type TimeUnit = 'ns' | 'us' | 'ms' | 's';

/** "10ms", "500us", "2s", or a bare number in `bareUnit`; returns ns. */
export function parseTimeNs(text: string, bareUnit: TimeUnit, option?: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ns|us|µs|ms|s|m|h)?\s*$/.exec(text);
  const ns = m ? Number(m[1]) * UNIT_NS[m[2] ?? bareUnit] : NaN;
  if (!m) throw new InvalidArgumentError(`${option ? `${option}: ` : ''}"${text}" is not a duration (e.g. 500us, 10ms, 2s)`);
  // A week is more than any one-shot run needs, and keeps timers within their range.
  if (!Number.isFinite(ns) || ns > 7 * 24 * 3600e9) throw new InvalidArgumentError(`${option ? `${option}: ` : ''}"${text}" is out of range (at most a week)`);
  return Math.round(ns);
}

/** A positive duration in seconds (bare numbers are seconds), for -d and -i. */
export function secondsArg(min = 0.001): (text: string) => number {
  return (text) => {
    const s = parseTimeNs(text, 's') / 1e9;
    if (s <= 0) throw new InvalidArgumentError(`"${text}" must be greater than zero`);
    if (s < min) throw new InvalidArgumentError(`"${text}" must be at least ${min}s`);
    return s;
  };
}

/** One of a set that is known only at run time (e.g. --sort's fields for the chosen --by). */
export function checkChoice(option: string, value: string, allowed: readonly string[]): string {
  if (!allowed.includes(value)) throw new InvalidArgumentError(`${option}: "${value}" is not one of ${allowed.join(', ')}`);
  return value;
}
