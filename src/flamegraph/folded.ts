// flamegraph.pl's collapsed ("folded") stacks: one `frame;frame;frame COUNT` line per stack,
// root first. This is what `perf script | stackcollapse-perf.pl`, bcc `profile -f`,
// bpftrace through stackcollapse-bpftrace.pl, inferno-collapse-* and async-profiler's
// collapsed output produce. Frames may contain spaces (`[unknown] (libc.so.6+0x1f)`);
// the count is the last whitespace-separated token.
import { HuatuoError } from '../errors.js';
import type { FoldedStack } from '../profile/model.js';
import { mergedStacks, sortStacks } from './sorted.js';
import { checkStacks } from './stacks.js';

const COUNT_AT_END = /[ \t]+(\d+)$/;
const SECOND_COUNT = /[ \t]\d+$/;

function lineError(line: number, why: string, text: string): HuatuoError {
  const shown = text.length > 80 ? `${text.slice(0, 77)}...` : text;
  return new HuatuoError(`collapsed stacks, line ${line}: ${why}: ${JSON.stringify(shown)}`);
}

/**
 * Parse collapsed stacks. Blank lines and trailing whitespace (and CRLF) are ignored;
 * identical stacks are summed; zero counts are dropped. Anything else that is not
 * `frames COUNT` (no count, an empty frame, two counts as difffolded.pl writes) throws an
 * error naming the line. Input with no samples throws too. Stacks come back in the order
 * they first appear.
 */
export function parseFolded(text: string): FoldedStack[] {
  const byStack = new Map<string, FoldedStack>();
  let lineNo = 0;
  let total = 0;
  for (const raw of text.split('\n')) {
    lineNo++;
    const line = raw.trimEnd();
    if (line.trim() === '') continue;
    const m = COUNT_AT_END.exec(line);
    if (!m) {
      if (/^@\w*\[/.test(line) || /^Attaching \d+ probes?/.test(line)) {
        throw lineError(lineNo, 'bpftrace map output, not collapsed stacks: pass it through stackcollapse-bpftrace.pl', line);
      }
      throw lineError(lineNo, 'expected "frame;frame;... COUNT" (no sample count at the end)', line);
    }
    const stack = line.slice(0, m.index);
    if (stack.trim() === '') throw lineError(lineNo, 'a count with no stack', line);
    if (SECOND_COUNT.test(stack)) {
      throw lineError(lineNo, 'two counts on one line (a differential file?): give BEFORE and AFTER as two files', line);
    }
    const count = Number(m[1]);
    if (!Number.isSafeInteger(count)) throw lineError(lineNo, `count ${m[1]} is too large`, line);
    if (count === 0) continue;
    const prev = byStack.get(stack);
    if (prev) {
      prev.count += count;
    } else {
      const frames = stack.split(';');
      const empty = frames.indexOf('');
      if (empty >= 0) throw lineError(lineNo, `frame ${empty + 1} is empty`, line);
      byStack.set(stack, { frames, count });
    }
    total += count;
    if (!Number.isSafeInteger(total)) throw lineError(lineNo, 'the total overflows a safe integer', line);
  }
  if (byStack.size === 0) {
    throw new HuatuoError(text.trim() === '' ? 'collapsed stacks: empty input' : 'collapsed stacks: no samples in input');
  }
  return [...byStack.values()];
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
    size += String(count).length + 1;
  }
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  for (const { ranks, count } of merged) {
    for (let k = 0; k < ranks.length; k++) {
      if (k > 0) out[at++] = 0x3b; // ;
      at += bytes[ranks[k]].copy(out, at);
    }
    out[at++] = 0x20;
    at += out.write(String(count), at, 'latin1');
    out[at++] = 0x0a;
  }
  return out.toString('utf8', 0, at);
}
