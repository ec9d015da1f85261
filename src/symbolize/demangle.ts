// C++ and Rust names through c++filt: one c++filt per run kept behind FIFOs (see
// cxxfilt-process.ts), fed in batches of names not seen before, results cached for the
// run; if that cannot be set up, one spawnSync of c++filt per batch instead. Legacy Rust
// names are Itanium-mangled with a `17h<16 hex>E` hash: the `::h…` suffix is dropped;
// Rust v0 (`_R…`) names lose their `[hex]` crate disambiguators. Without c++filt, names
// stay mangled.
import { spawnSync } from 'node:child_process';
import { CxxfiltProcess } from './cxxfilt-process.js';

const RUST_LEGACY_HASH = /17h[0-9a-f]{16}E/;
const SPAWN_BATCH = 20_000;

/** Itanium C++ (and legacy Rust) `_Z…`, Rust v0 `_R…`. Called for every frame: no regex. */
export function isMangled(name: string): boolean {
  if (name.charCodeAt(0) !== 95 /* _ */) return false;
  const c = name.charCodeAt(1);
  if (c === 90 /* Z */) return true;
  if (c !== 82 /* R */) return false;
  const d = name.charCodeAt(2);
  return (d >= 48 && d <= 57) || (d >= 65 && d <= 90) || d === 95;
}

/** Tidy c++filt's output for Rust names; C++ names pass unchanged. */
export function tidyDemangled(mangled: string, demangled: string): string {
  if (mangled.startsWith('_R')) return demangled.replace(/\[[0-9a-f]+\]/g, '');
  if (RUST_LEGACY_HASH.test(mangled)) return demangled.replace(/::h[0-9a-f]{16}$/, '');
  return demangled;
}

export interface DemanglerOptions {
  /** The c++filt to run, or false to never demangle. Default `c++filt`. */
  cxxfilt?: string | false;
  /** Keep one c++filt running (default) or spawn one per batch. */
  persistent?: boolean;
}

export class Demangler {
  private readonly cache = new Map<string, string>();
  private readonly cmd: string | false;
  private coprocess: CxxfiltProcess | null | undefined;
  private available: boolean;
  /** c++filt processes started so far. */
  runs = 0;
  private starting: Promise<void> | undefined;
  private closed = false;

  constructor(opts: DemanglerOptions = {}) {
    this.cmd = opts.cxxfilt ?? 'c++filt';
    this.available = this.cmd !== false;
    if (opts.persistent === false) this.coprocess = null;
  }

  get enabled(): boolean {
    return this.available;
  }

  get cached(): number {
    return this.cache.size;
  }

  /** The demangled form of a name already passed to demangleAll (or the name itself). */
  get(name: string): string {
    return this.cache.get(name) ?? name;
  }

  /** Demangle every mangled name not seen before, in one exchange with c++filt. */
  demangleAll(names: Iterable<string>): void {
    const todo: string[] = [];
    const seen = new Set<string>();
    for (const n of names) {
      if (!this.cache.has(n) && !seen.has(n) && isMangled(n) && !n.includes('\n')) {
        seen.add(n);
        todo.push(n);
      }
    }
    if (!todo.length) return;
    const out = this.run(todo);
    todo.forEach((n, i) => this.cache.set(n, out ? tidyDemangled(n, out[i]) || n : n));
  }

  /** Start c++filt now rather than at the first mangled name; start() if that comes first. */
  startAsync(): Promise<void> {
    if (!this.available || this.coprocess !== undefined) return Promise.resolve();
    return (this.starting ??= CxxfiltProcess.startAsync(this.cmd as string).then((p) => {
      if (this.coprocess !== undefined || this.closed) p?.close(); // start() won the race, or we are done
      else if ((this.coprocess = p)) this.runs++;
    }));
  }

  private start(): void {
    if (!this.available || this.coprocess !== undefined) return;
    this.coprocess = CxxfiltProcess.start(this.cmd as string);
    if (this.coprocess) this.runs++;
  }

  private run(names: string[]): string[] | null {
    if (!this.available) return null;
    this.start();
    if (this.coprocess) {
      const out = this.coprocess.demangle(names);
      if (out) return out;
      this.coprocess = null; // it failed: batches from now on
    }
    const out: string[] = [];
    for (let i = 0; i < names.length; i += SPAWN_BATCH) {
      const part = this.spawnBatch(names.slice(i, i + SPAWN_BATCH));
      if (!part) return null;
      for (const l of part) out.push(l);
    }
    return out;
  }

  private spawnBatch(names: string[]): string[] | null {
    this.runs++;
    const r = spawnSync(this.cmd as string, [], {
      input: names.join('\n') + '\n',
      encoding: 'utf8',
      maxBuffer: 256 * 1024 * 1024,
      stdio: ['pipe', 'pipe', 'ignore'],
    });
    if (r.error || r.status !== 0) {
      this.available = false;
      return null;
    }
    const lines = r.stdout.split('\n');
    return lines.length > names.length ? lines.slice(0, names.length) : null;
  }

  /** Ends the c++filt child. Idempotent. */
  close(): void {
    this.closed = true;
    this.coprocess?.close();
    this.coprocess = null;
  }
}
