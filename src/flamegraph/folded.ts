// flamegraph.pl's collapsed ("folded") stacks: one `frame;frame;frame COUNT` line per stack,
// root first. This is what `perf script | stackcollapse-perf.pl`, bcc `profile -f`,
// bpftrace through stackcollapse-bpftrace.pl, inferno-collapse-* and async-profiler's
// collapsed output produce. Frames may contain spaces (`[unknown] (libc.so.6+0x1f)`);
// the count is the last whitespace-separated token and, as flamegraph.pl allows, may be
// fractional (`a;b 1.5`: weights rather than samples).
import { HuatuoError } from '../errors.js';
import type { FoldedStack } from '../model/stack.js';
import { excerpt } from '../model/excerpt.js';
import { mergedStacks, sortStacks } from './sorted.js';
import { checkStacks } from './stacks.js';

const COUNT_AT_END = /[ \t]+(\d+(?:\.\d*)?)$/;
const SECOND_COUNT = /[ \t]\d+(?:\.\d*)?$/;
// Control characters (tab aside) and U+FFFD (what invalid UTF-8 decodes to) mean binary
// data, not a stack: such a line is ignored rather than drawn.
const NOT_TEXT = /[\u0000-\u0008\u000a-\u001f\u007f\ufffd]/;
// What bpftrace prints for a map (`@[kstack] = count()`) before stackcollapse-bpftrace.pl.
const BPFTRACE_MAP = /^(@\w*\[|Attaching \d+ probes?)/;

export interface FoldedInput {
  stacks: FoldedStack[];
  /** Non-blank lines that are not `frames COUNT` (no count, an empty frame, binary). */
  ignored: number;
  /** The first of them, for the warning: line number and an escaped excerpt. */
  firstIgnored: { line: number; excerpt: string } | null;
}

function lineError(line: number, why: string, text: string): HuatuoError {
  return new HuatuoError(`collapsed stacks, line ${line}: ${why}: "${excerpt(text)}"`);
}

/** The raw bytes of line `n` (1-based), so an excerpt shows the bytes, not their decoding. */
function rawLine(bytes: Uint8Array, n: number): Uint8Array {
  let from = 0;
  for (let k = 1; k < n; k++) from = bytes.indexOf(0x0a, from) + 1;
  const to = bytes.indexOf(0x0a, from);
  return bytes.subarray(from, to < 0 ? bytes.length : to);
}

/**
 * Parse collapsed stacks. Blank lines and trailing whitespace (and CRLF) are skipped;
 * identical stacks are summed; zero counts are dropped. Lines that are not
 * `frames COUNT` are ignored and counted (flamegraph.pl does the same), so one stray
 * line does not lose a profile. Errors: no valid line at all, bpftrace's map output, two
 * counts on a line (a differential file, which needs --diff), a count too large to add
 * exactly. Stacks come
 * back in the order they first appear.
 */
export function parseFolded(input: string | Uint8Array): FoldedInput {
  const text = typeof input === 'string' ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength).toString('utf8');
  const byStack = new Map<string, FoldedStack>();
  let lineNo = 0;
  let total = 0;
  let valid = 0;
  let ignored = 0;
  let firstIgnored = 0;
  let firstText = '';
  for (const raw of text.split('\n')) {
    lineNo++;
    const line = raw.trimEnd();
    if (line.trim() === '') continue;
    if (valid + ignored === 0 && BPFTRACE_MAP.test(line)) {
      throw lineError(lineNo, 'bpftrace map output, not collapsed stacks: pass it through stackcollapse-bpftrace.pl', line);
    }
    const m = NOT_TEXT.test(line) ? null : COUNT_AT_END.exec(line);
    const stack = m ? line.slice(0, m.index) : '';
    const frames = stack.trim() === '' ? [] : stack.split(';');
    if (!m || frames.length === 0 || frames.includes('')) {
      if (ignored++ === 0) {
        firstIgnored = lineNo;
        firstText = line;
      }
      continue;
    }
    if (SECOND_COUNT.test(stack)) {
      throw lineError(lineNo, 'two counts on one line (a differential file?): give BEFORE and AFTER as two files with --diff', line);
    }
    const count = Number(m[1]);
    if (!(count <= Number.MAX_SAFE_INTEGER)) throw lineError(lineNo, `count ${m[1].slice(0, 24)} is too large`, line);
    valid++;
    if (count === 0) continue;
    const prev = byStack.get(stack);
    if (prev) prev.count += count;
    else byStack.set(stack, { frames, count });
    total += count;
    if (!(total <= Number.MAX_SAFE_INTEGER)) throw lineError(lineNo, 'the total is too large to add up exactly', line);
  }
  const first = ignored ? { line: firstIgnored, excerpt: excerpt(typeof input === 'string' ? firstText : rawLine(input, firstIgnored)) } : null;
  if (byStack.size === 0) {
    if (first && valid === 0) {
      throw new HuatuoError(`collapsed stacks: no line is "frame;frame;... COUNT" (${ignored} line${ignored === 1 ? '' : 's'}; line ${first.line}: "${first.excerpt}")`);
    }
    throw new HuatuoError(text.trim() === '' ? 'collapsed stacks: empty input' : 'collapsed stacks: no samples in input');
  }
  return { stacks: [...byStack.values()], ignored, firstIgnored: first };
}

/** A count as the collapsed format writes it: integers as they are, fractions without float noise. */
export function countText(n: number): string {
  if (Number.isInteger(n)) return String(n);
  const r = Number(n.toPrecision(12));
  const s = String(r);
  return s.includes('e') ? r.toFixed(20).replace(/\.?0+$/, '') : s; // 1e-7 would not parse back
}

const UNFOLDABLE = /[;\r\n]/;

/** A frame as the collapsed format can hold it: `;` becomes `:`, line breaks a space. */
function foldedFrame(f: string): string {
  return UNFOLDABLE.test(f) ? f.replace(/;/g, ':').replace(/[\r\n]+/g, ' ') : f;
}

/**
 * Write collapsed stacks: identical stacks summed, zero counts dropped, one line per stack,
 * sorted frame-wise (a stack before its extensions), so two writes are identical.
 * The format has no escapes: a `;` inside a frame becomes `:` and a line break a space.
 */
export function toFolded(stacks: readonly FoldedStack[]): string {
  checkStacks(stacks);
  let sorted = sortStacks(stacks, false);
  if (sorted.labels.some((l) => UNFOLDABLE.test(l))) {
    // Rare: clean first, so frames that become equal merge.
    sorted = sortStacks(stacks.map((s) => ({ frames: s.frames.map(foldedFrame), count: s.count })), false);
  }
  // Written as bytes: each label encoded once, no string per line for the GC to copy around.
  const bytes = sorted.labels.map((l) => Buffer.from(l, 'utf8'));
  const merged = [...mergedStacks(sorted)];
  let size = 0;
  for (const { ranks, count } of merged) {
    for (let k = 0; k < ranks.length; k++) size += bytes[ranks[k]].length + 1; // label and ; or space
    size += countText(count).length + 1;
  }
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  for (const { ranks, count } of merged) {
    for (let k = 0; k < ranks.length; k++) {
      if (k > 0) out[at++] = 0x3b; // ;
      at += bytes[ranks[k]].copy(out, at);
    }
    out[at++] = 0x20;
    at += out.write(countText(count), at, 'latin1');
    out[at++] = 0x0a;
  }
  return out.toString('utf8', 0, at);
}
