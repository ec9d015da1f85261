// Input checks shared by every output: counts are finite and non-negative (fractions are
// allowed: collapsed files may carry weights), a stack has at least one frame, and there
// is at least one sample.
import { HuatuoError } from '../errors.js';
import type { FoldedStack } from '../model/stack.js';

/** Validate stacks and return the total sample count (> 0). `what` names the input in errors. */
export function checkStacks(stacks: readonly FoldedStack[], what = 'stacks'): number {
  if (!Array.isArray(stacks)) throw new HuatuoError(`${what}: expected an array of stacks`);
  let total = 0;
  for (let i = 0; i < stacks.length; i++) {
    const s = stacks[i];
    if (!s || !Array.isArray(s.frames)) throw new HuatuoError(`${what}: stack ${i} has no frames array`);
    if (typeof s.count !== 'number' || !(s.count >= 0 && s.count <= Number.MAX_SAFE_INTEGER)) {
      throw new HuatuoError(`${what}: stack ${i} has count ${String(s.count)}, not a non-negative number`);
    }
    if (s.count === 0) continue;
    if (s.frames.length === 0) throw new HuatuoError(`${what}: stack ${i} has ${s.count} samples but no frames`);
    for (let d = 0; d < s.frames.length; d++) {
      if (typeof s.frames[d] !== 'string') throw new HuatuoError(`${what}: stack ${i} frame ${d} is not a string`);
    }
    total += s.count;
  }
  if (total === 0) throw new HuatuoError(`${what}: no samples`);
  if (!(total <= Number.MAX_SAFE_INTEGER)) throw new HuatuoError(`${what}: ${total} samples are too many to add up exactly`);
  return total;
}
