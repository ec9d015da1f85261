// Input checks shared by every output: counts are non-negative integers, a stack has at
// least one frame, and there is at least one sample.
import { HuatuoError } from '../errors.js';
import type { FoldedStack } from '../profile/model.js';

/** Validate stacks and return the total sample count (> 0). `what` names the input in errors. */
export function checkStacks(stacks: readonly FoldedStack[], what = 'stacks'): number {
  if (!Array.isArray(stacks)) throw new HuatuoError(`${what}: expected an array of stacks`);
  let total = 0;
  for (let i = 0; i < stacks.length; i++) {
    const s = stacks[i];
    if (!s || !Array.isArray(s.frames)) throw new HuatuoError(`${what}: stack ${i} has no frames array`);
    if (!Number.isSafeInteger(s.count) || s.count < 0) {
      throw new HuatuoError(`${what}: stack ${i} has count ${String(s.count)}, not a non-negative integer`);
    }
    if (s.count === 0) continue;
    if (s.frames.length === 0) throw new HuatuoError(`${what}: stack ${i} has ${s.count} samples but no frames`);
    for (let d = 0; d < s.frames.length; d++) {
      if (typeof s.frames[d] !== 'string') throw new HuatuoError(`${what}: stack ${i} frame ${d} is not a string`);
    }
    total += s.count;
  }
  if (total === 0) throw new HuatuoError(`${what}: no samples`);
  if (!Number.isSafeInteger(total)) throw new HuatuoError(`${what}: ${total} samples overflow a safe integer`);
  return total;
}
