// Callers lost by frame-pointer unwinding, found again. A function that sets up no frame
// (libc's syscall wrappers: nanosleep, clock_nanosleep, write, …) leaves the frame pointer
// at its caller's frame, so the walk goes from the leaf (the wrapper) straight to the
// caller's caller: `clock_nanosleep;main` for main → sleep_here → nanosleep → clock_nanosleep.
//
// Those callers' return addresses are still on the stack, above the stack pointer. From a
// copy of the words there (bpf/profile.bpf.c copies PROFILE_TOP_WORDS for each new row)
// this finds them, and accepts them only when the chain is proved by the code itself:
//   - a gap exists: the call before the first walked return address (frame 1) is a direct
//     call, to a function other than the leaf's;
//   - each word taken is a return address: the bytes before it are a call instruction;
//   - each link holds: a word's call targets the function of the frame below it (directly;
//     a call through the PLT or a register is taken only as the last link, see below);
//   - the chain closes: frame 1's call targets the function of the last word taken.
// Anything short of a closed chain changes nothing and counts as lost. x86-64 only.

/** The call instruction that ends where a return address points. */
export type CallSite =
  | { kind: 'direct'; target: number }
  /** Through a PLT stub or the GOT: to some function of another binary. */
  | { kind: 'plt' }
  /** Through a register or memory: any function. */
  | { kind: 'indirect' };

/** What the process's code says (from its mapped binaries). */
export interface CodeOracle {
  /** The call ending right before `ret`, or null when the bytes there are no call (or unreadable). */
  callBefore(ret: number): CallSite | null;
  /** The start of the function holding `addr`, in the process's addresses, when known. */
  functionStart(addr: number): number | undefined;
}

export type Recovery =
  /** Nothing is missing, or nothing can be told (frame 1's call is not direct). */
  | { status: 'intact' }
  /** Return addresses to insert after the leaf (leaf first, as the stack holds them). */
  | { status: 'recovered'; frames: bigint[] }
  /** A gap, and no proved chain to fill it. */
  | { status: 'lost' };

/** At most this many frames are recovered for one gap (a wrapper calling a wrapper is two). */
export const MAX_RECOVERED = 4;
const MAX_USER = 0x7fff_ffff_ffffn;

/** x86-64 call instructions that end at `ret`, from the bytes before it (bytes[bytes.length] is `ret`). */
export function decodeCallBefore(before: Buffer, ret: number, isPlt: (target: number) => boolean): CallSite | null {
  const n = before.length;
  const at = (back: number): number => (back <= n ? before[n - back] : -1);
  // e8 rel32: call rel32
  if (at(5) === 0xe8) {
    const target = ret + before.readInt32LE(n - 4);
    return isPlt(target) ? { kind: 'plt' } : { kind: 'direct', target };
  }
  // ff 15 disp32: call *disp32(%rip), the -fno-plt form
  if (at(6) === 0xff && at(5) === 0x15) return { kind: 'plt' };
  // ff /2 with modrm: register (ff d0+r, 41 ff d0+r), [reg+disp8] (ff 50+r d8), [reg+disp32] (ff 90+r d32)
  if (at(2) === 0xff && (at(1) & 0xf8) === 0xd0) return { kind: 'indirect' };
  if (at(3) === 0xff && (at(2) & 0xf8) === 0x50 && (at(2) & 7) !== 4) return { kind: 'indirect' };
  if (at(6) === 0xff && (at(5) & 0xf8) === 0x90 && (at(5) & 7) !== 4) return { kind: 'indirect' };
  if (at(3) === 0xff && at(2) === 0x14 && at(1) === 0x24) return { kind: 'indirect' }; // ff 14 24: call *(%rsp)
  return null;
}

/**
 * Find the frames missing between a user stack's leaf and its frame 1.
 * `user` is leaf first (user[0] the instruction pointer); `words` the stack from its pointer up.
 */
export function recoverFrameless(user: readonly bigint[], words: readonly bigint[], code: CodeOracle): Recovery {
  if (user.length < 2) return { status: 'intact' };
  const leaf = code.functionStart(Number(user[0]));
  const first = code.callBefore(Number(user[1]));
  if (leaf === undefined || first?.kind !== 'direct' || first.target === leaf) return { status: 'intact' };
  const frames: bigint[] = [];
  let callee = leaf; // the function the next word's call must target
  for (const w of words) {
    if (w === 0n || w > MAX_USER) continue;
    const ret = Number(w);
    const call = code.callBefore(ret);
    if (!call) continue;
    const linked = call.kind === 'direct' ? call.target === callee : true;
    if (!linked) continue;
    const fn = code.functionStart(ret);
    if (fn === undefined) continue;
    if (fn === first.target) return { status: 'recovered', frames: [...frames, w] };
    // An intermediate frame must be proved by a direct call: a PLT or register call from
    // stale stack memory proves nothing.
    if (call.kind !== 'direct' || frames.length + 1 >= MAX_RECOVERED) continue;
    frames.push(w);
    callee = fn;
  }
  return { status: 'lost' };
}

/** Per binary (module), stacks whose gap could be filled and could not. */
export class RecoveryTally {
  private readonly by = new Map<string, { recovered: number; lost: number }>();

  add(module: string, status: Recovery['status'], weight: number): void {
    if (status === 'intact') return;
    const t = this.by.get(module) ?? { recovered: 0, lost: 0 };
    t[status] += weight;
    this.by.set(module, t);
  }

  report(): FramelessReport[] {
    return [...this.by].map(([module, t]) => ({ module, ...t })).sort((a, b) => b.lost + b.recovered - a.lost - a.recovered || a.module.localeCompare(b.module));
  }
}

/** Weight (samples, ns, faults) of stacks with a frameless gap at their leaf, per leaf binary. */
export interface FramelessReport {
  module: string;
  recovered: number;
  lost: number;
}
