// Raw addresses → frames. Kernel addresses through /proc/kallsyms; user addresses through
// the process's maps snapshot, its ELF binaries (or their debug files), its JIT perf map.
// Work grows with unique addresses: frames are cached per process and per binary.
import { readFileSync } from 'node:fs';
import type { CodeLocation, CodeMapping, Frame } from '../model/stack.js';
import { hostRootOf } from '../containers/cgroup.js';
import { logDebug } from '../log.js';
import { loadKallsyms, loadKallsymsAsync, KERNEL_BASE, type KernelSymbols } from './kallsyms.js';
import { buildIdInNotes } from './elf-reader.js';
import { BinaryStore } from './binary.js';
import { ProcessImage } from './process-image.js';
import { Demangler, isMangled } from './demangle.js';
import { unknownFrame, jitFrame, unnamedJitRuntime, ANON_MODULE, UNMAPPED_MODULE } from './frames.js';
import { decodeCallBefore, recoverFrameless, type CodeOracle, type Recovery } from './frameless.js';

export interface SymbolizerOptions {
  /** The host's / when running in a pod (prefix for /proc etc.); default $HUATUO_HOST_ROOT or ''. */
  hostRoot?: string;
  /** The demangler program, or false to keep names mangled. Default `c++filt`. */
  cxxfilt?: string | false;
  /** Kernel symbols file; default <hostRoot>/proc/kallsyms. */
  kallsyms?: string;
}

export interface StackAddresses {
  tgid: number;
  /** Leaf first. */
  kernel: bigint[];
  /** Leaf first. */
  user: bigint[];
}

export interface SymbolizerStats {
  processes: number;
  /** ELF files whose headers were read (one per (dev, inode)). */
  binariesParsed: number;
  /** Symbol tables built (one per build-id). */
  symbolTables: number;
  /** Distinct (process, address) user lookups, plus distinct kernel addresses (kernel symbols are shared by the whole node process). */
  uniqueAddresses: number;
  /** Binary searches in ELF symbol tables (distinct (binary, address)). */
  symbolLookups: number;
  kernelSymbols: number;
  jitEntries: number;
  demangled: number;
  cxxfiltRuns: number;
}

/** Anonymous or unmapped misses may be JIT code not yet in the perf map: re-read maps at most this often. */
const REFRESH_MS = 250;
const MAX_USER = BigInt(Number.MAX_SAFE_INTEGER);
/** Kernel functions of execve, from where the old image is left behind (GCC may add .isra.N and such). */
const EXEC_PATH = /^(bprm_execve|exec_binprm|load_elf_binary|begin_new_exec)(\.|$)/;

export class Symbolizer {
  private readonly host: string;
  private readonly store: BinaryStore;
  private readonly demangler: Demangler;
  private readonly procs = new Map<number, ProcessImage>();
  private readonly kallsymsPath: string;
  private kernel: KernelSymbols | null = null;
  private pending: Frame[] = [];
  private userUnique = 0;

  constructor(opts: SymbolizerOptions = {}) {
    this.host = hostRootOf(opts.hostRoot);
    this.kallsymsPath = opts.kallsyms ?? `${this.host}/proc/kallsyms`;
    this.demangler = new Demangler({ cxxfilt: opts.cxxfilt });
    this.store = new BinaryStore((f) => {
      if (isMangled(f.name)) this.pending.push(f);
    });
  }

  /**
   * Do the once-per-run work ahead of the first symbolization, while sampling goes on:
   * the kernel's symbols (read off the event loop) and the c++filt child.
   */
  async warmUp(): Promise<void> {
    const t0 = performance.now();
    const [k] = await Promise.all([loadKallsymsAsync(this.kallsymsPath), this.demangler.startAsync()]);
    logDebug(`profile: kernel symbols ${this.kernel ? 'were needed first' : `ready in ${(performance.now() - t0).toFixed(0)} ms`}`);
    this.kernel ??= k;
  }

  /** Read the process's maps and parse its binaries, once; true when it could be read. */
  snapshot(pid: number): boolean {
    const known = this.procs.get(pid);
    if (known) return known.regions.length > 0;
    const img = new ProcessImage(pid, `${this.host}/proc/${pid}`);
    this.procs.set(pid, img);
    return img.read(this.store, this.host);
  }

  kernelFrame(addr: bigint): Frame {
    const f = this.kernelLookup(addr, false);
    this.flush();
    return f;
  }

  userFrame(pid: number, addr: bigint): Frame {
    const f = this.userLookup(this.image(pid), addr);
    this.flush();
    return f;
  }

  /** Root-first frames of one stack: user (outermost first), then kernel (outermost first). */
  symbolize(stack: StackAddresses): Frame[] {
    const frames = this.frames(stack);
    this.flush();
    return frames;
  }

  /**
   * Many stacks at once, as symbolize() on each with one demangling batch, and where each
   * frame's code is (pprof's mappings and addresses): null for frames with no binary behind
   * them (JIT, unmapped, unreadable).
   */
  symbolizeAllLocated(stacks: StackAddresses[]): Array<{ frames: Frame[]; locations: Array<CodeLocation | null> }> {
    const out = stacks.map((s) => {
      const locations: Array<CodeLocation | null> = [];
      return { frames: this.frames(s, locations), locations };
    });
    this.flush();
    return out;
  }

  /**
   * The frames frame-pointer unwinding skipped after a frameless leaf (frameless.ts), from
   * the user stack's words above its pointer; with the leaf's module, for the tally.
   */
  recoverFrameless(tgid: number, user: readonly bigint[], words: readonly bigint[]): Recovery & { module: string } {
    const img = this.image(tgid);
    const at = (addr: number) => {
      const r = img.find(addr);
      return r?.kind === 'file' && r.binary ? { r, b: r.binary, off: addr - r.start + r.offset } : undefined;
    };
    const code: CodeOracle = {
      callBefore(ret) {
        const c = at(ret);
        const bytes = c?.b.bytesBefore(c.off, 7);
        if (!c || !bytes) return null;
        return decodeCallBefore(bytes, ret, (target) => at(target)?.b.symbolAt(at(target)!.off)?.name.endsWith('@plt') ?? false);
      },
      functionStart(addr) {
        const c = at(addr);
        const sym = c?.b.symbolAt(c.off);
        return sym && c ? sym.start - c.r.offset + c.r.start : undefined;
      },
    };
    const module = user.length ? img.find(Number(user[0]))?.module ?? UNMAPPED_MODULE : UNMAPPED_MODULE;
    return { ...recoverFrameless(user, words, code), module };
  }

  /** Read a snapshotted process's maps again (runtimes map code after start-up); false when gone. */
  reread(pid: number): boolean {
    const img = this.procs.get(pid);
    return img ? img.read(this.store, this.host) : this.snapshot(pid);
  }

  /** The JIT runtime of a process read so far (runtime.ts), if it is one. */
  runtimeOf(pid: number): string | undefined {
    return this.procs.get(pid)?.runtime;
  }

  /** Entries in the process's JIT perf map (0: none, or the process was never read). */
  perfMapEntries(pid: number): number {
    return this.procs.get(pid)?.jit?.size ?? 0;
  }

  stats(): SymbolizerStats {
    let jitEntries = 0;
    for (const p of this.procs.values()) jitEntries += p.jit?.size ?? 0;
    return {
      processes: this.procs.size,
      binariesParsed: this.store.parsed,
      symbolTables: this.store.tablesBuilt,
      uniqueAddresses: this.userUnique + (this.kernel?.looked ?? 0),
      symbolLookups: this.store.lookups,
      kernelSymbols: this.kernel?.size ?? 0,
      jitEntries,
      demangled: this.demangler.cached,
      cxxfiltRuns: this.demangler.runs,
    };
  }

  close(): void {
    for (const p of this.procs.values()) p.close();
    this.demangler.close();
  }

  private image(pid: number): ProcessImage {
    if (!this.procs.has(pid)) this.snapshot(pid);
    return this.procs.get(pid)!;
  }

  private frames(stack: StackAddresses, locs?: Array<CodeLocation | null>): Frame[] {
    const out: Frame[] = [];
    const klocs: Array<CodeLocation | null> = [];
    const { user, kernel } = stack;
    // Leaf first in, root first out. Non-leaf addresses are return addresses: the call
    // is the byte before (so a call that ends a function counts for that function).
    const kframes: Frame[] = [];
    for (let i = kernel.length - 1; i >= 0; i--) {
      if (!kernel[i]) continue;
      kframes.push(this.kernelLookup(kernel[i], i > 0));
      if (locs) klocs.push(this.kernelLocation(kernel[i], i > 0));
    }
    // Inside execve the user registers are still the old program's, while the maps are
    // (or soon will be) the new one's: those addresses name nothing.
    if (user.length && !kframes.some((f) => EXEC_PATH.test(f.name))) {
      const img = this.image(stack.tgid);
      for (let i = user.length - 1; i >= 0; i--) {
        if (!user[i]) continue;
        const f = this.userLookup(img, user[i], i > 0);
        // JS calling JS without a perf map: one [JIT] frame says as much as ten.
        if (f.kind === 'jit' && f.name === out[out.length - 1]?.name && unnamedJitRuntime(f) !== null) continue;
        out.push(f);
        locs?.push(f.kind === 'jit' ? null : this.userLocation(img, user[i], i > 0));
      }
    }
    for (const f of kframes) out.push(f);
    locs?.push(...klocs);
    return out;
  }

  private kernelMapping: CodeMapping | undefined;

  /** Kernel code: one mapping, [kernel.kallsyms] as perf names it, with the running kernel's build-id. */
  private kernelLocation(addr: bigint, returnAddress: boolean): CodeLocation | null {
    if (addr < KERNEL_BASE) return null;
    if (!this.kernelMapping) {
      let buildId: string | undefined;
      try {
        buildId = buildIdInNotes(readFileSync(`${this.host}/sys/kernel/notes`));
      } catch { /* no notes: no build-id */ }
      this.kernelMapping = { file: '[kernel.kallsyms]', ...(buildId ? { buildId } : {}), start: KERNEL_BASE, limit: 0xffff_ffff_ffff_f000n, offset: 0n, native: false };
    }
    return { mapping: this.kernelMapping, address: returnAddress ? addr - 1n : addr };
  }

  /** User code in a mapped file: the binary's mapping and the address as its symbol table counts it. */
  private userLocation(img: ProcessImage, addr: bigint, returnAddress: boolean): CodeLocation | null {
    if (addr > MAX_USER) return null;
    const a = Number(addr) - (returnAddress ? 1 : 0);
    const r = img.find(a);
    if (r?.kind !== 'file' || !r.binary) return null;
    const vaddr = r.binary.vaddrOf(a - r.start + r.offset);
    const mapping = vaddr === undefined ? undefined : r.binary.codeMapping(vaddr);
    return mapping ? { mapping, address: BigInt(vaddr!) } : null;
  }

  private kernelLookup(addr: bigint, returnAddress: boolean): Frame {
    this.kernel ??= loadKallsyms(this.kallsymsPath);
    const f = this.kernel.frame(addr, returnAddress);
    if (isMangled(f.name)) this.pending.push(f);
    return f;
  }

  private userLookup(img: ProcessImage, addr: bigint, returnAddress = false): Frame {
    if (addr > MAX_USER) return unknownFrame(UNMAPPED_MODULE, addr);
    const a = Number(addr) - (returnAddress ? 1 : 0);
    const cached = img.frames.get(a);
    if (cached) return cached;
    let r = img.find(a);
    if ((!r || r.kind === 'reserved') && Date.now() - img.readAt > REFRESH_MS) {
      img.read(this.store, this.host); // mapped since the snapshot (dlopen, new JIT pages)?
      r = img.find(a);
    }
    let f: Frame;
    let keep = true;
    if (r?.kind === 'file') {
      const off = a - r.start + r.offset;
      f = r.binary ? r.binary.frameAt(off) : unknownFrame(r.module, off);
    } else {
      const name = r?.kind === 'other' ? null : img.jit?.lookup(a) ?? null;
      if (name !== null) f = { name, kind: 'jit', module: r?.module ?? ANON_MODULE };
      else if (r?.kind === 'anon' || r?.kind === 'reserved') {
        // Code the process made itself. A perf map that exists may name it later.
        f = jitFrame(img.runtime);
        keep = !img.jit?.open();
      } else {
        f = r ? unknownFrame(r.module, a - r.start) : unknownFrame(UNMAPPED_MODULE, a);
        keep = false; // mapped later, or named by a JIT later
      }
    }
    if (keep) {
      img.frames.set(a, f);
      this.userUnique++;
    }
    return f;
  }

  private flush(): void {
    if (!this.pending.length) return;
    const todo = this.pending;
    this.pending = [];
    this.demangler.demangleAll(todo.map((f) => f.name));
    for (const f of todo) f.name = this.demangler.get(f.name);
  }
}
