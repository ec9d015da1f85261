// One long-lived c++filt, spoken to synchronously through two FIFOs (the symbolizer's API
// is synchronous, and a child's pipes cannot be read synchronously in Node). c++filt
// answers each input line with one output line and flushes at every newline; a probe
// checks that (reading without blocking, with a timeout) before reads block for real, so
// a demangler that buffers its output is refused rather than waited for. Input goes in
// chunks that fit the pipe, and each chunk's answers are read in full before the next, so
// neither side can block the other. If c++filt dies, reads see EOF.
import { spawn, spawnSync, execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, closeSync, writeSync, readSync, rmSync, constants } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Bytes of names written at once: well under the 64 KiB a pipe holds. */
const CHUNK_BYTES = 32 * 1024;
/** How long the first answer may take before c++filt is given up on. */
const PROBE_TIMEOUT_MS = 5_000;
const sleeper = new Int32Array(new SharedArrayBuffer(4));

export class CxxfiltProcess {
  private constructor(
    private readonly child: ChildProcess,
    private inFd: number | null,
    private outFd: number | null,
  ) {}

  /** Whether the probe's answer was read (c++filt answers line by line). */
  private probed = false;
  private probeFd: number | null = null;

  /**
   * Start `cmd` behind two FIFOs and send it the probe; null when that cannot be done
   * here. The answer is read at the first demangle(): c++filt (linked with libbfd) takes
   * a while to start on a busy machine, and need not be waited for until then.
   */
  static start(cmd: string): CxxfiltProcess | null {
    let dir: string | null = null;
    try {
      dir = mkdtempSync(join(tmpdir(), 'huatuo-cxxfilt-'));
      if (spawnSync('mkfifo', [join(dir, 'in'), join(dir, 'out')]).status !== 0) return null;
      return CxxfiltProcess.behind(cmd, dir);
    } finally {
      if (dir) rmSync(dir, { recursive: true, force: true });
    }
  }

  /** The same, without blocking on mkfifo (a fork and an exec: long on a busy machine). */
  static async startAsync(cmd: string): Promise<CxxfiltProcess | null> {
    let dir: string | null = null;
    try {
      dir = mkdtempSync(join(tmpdir(), 'huatuo-cxxfilt-'));
      const fifos = [join(dir, 'in'), join(dir, 'out')];
      const made = await new Promise<boolean>((resolve) => execFile('mkfifo', fifos, (e) => resolve(!e)));
      return made ? CxxfiltProcess.behind(cmd, dir) : null;
    } finally {
      if (dir) rmSync(dir, { recursive: true, force: true });
    }
  }

  /** Start cmd on the FIFOs `in` and `out` of dir, which the caller removes. */
  private static behind(cmd: string, dir: string): CxxfiltProcess | null {
    const temp: number[] = []; // closed whatever happens: the child has its own copies
    let p: CxxfiltProcess | null = null;
    const own: number[] = []; // ours, closed here only if we fail before p owns them
    const open = (path: string, flags: number, list?: number[]) => {
      const fd = openSync(path, flags);
      list?.push(fd);
      return fd;
    };
    try {
      const inPath = join(dir, 'in');
      const outPath = join(dir, 'out');
      // An O_RDWR open of a FIFO never blocks and lets the one-way opens after it not block
      // either. The child's ends are one-way, so it sees EOF when we close (or die).
      open(inPath, constants.O_RDWR, temp);
      const childIn = open(inPath, constants.O_RDONLY, temp);
      const inFd = open(inPath, constants.O_WRONLY, own);
      open(outPath, constants.O_RDWR, temp);
      const childOut = open(outPath, constants.O_WRONLY, temp);
      // Non-blocking for the probe: a c++filt that does not answer line by line times out.
      const probeFd = open(outPath, constants.O_RDONLY | constants.O_NONBLOCK, own);
      // From the probe on, blocking reads, woken as soon as it writes. Opened now: the
      // FIFO's name is removed below.
      const outFd = open(outPath, constants.O_RDONLY, own);
      const child = spawn(cmd, [], { stdio: [childIn, childOut, 'ignore'] });
      child.on('error', () => {});
      p = new CxxfiltProcess(child, inFd, outFd);
      p.probeFd = probeFd;
      if (child.pid === undefined) throw new Error(`cannot run ${cmd}`);
      child.unref();
      writeSync(inFd, '_Z1fv\n');
      return p;
    } catch {
      if (p) p.close();
      else for (const fd of own) closeSync(fd);
      return null;
    } finally {
      for (const fd of temp) closeSync(fd);
    }
  }

  /** Read the probe's answer (waiting up to PROBE_TIMEOUT_MS); false, and closed, if it is wrong. */
  private probe(): boolean {
    if (this.probed) return true;
    const fd = this.probeFd;
    this.probeFd = null;
    const answer = fd === null ? null : this.read(fd, 1, PROBE_TIMEOUT_MS);
    if (fd !== null) closeSync(fd);
    if (answer?.[0] !== 'f()') {
      this.close();
      return false;
    }
    return (this.probed = true);
  }

  /** One output line per name, or null when c++filt failed (it is then closed). */
  demangle(names: string[]): string[] | null {
    if (!this.probe()) return null;
    const out: string[] = [];
    let i = 0;
    while (i < names.length) {
      let bytes = 0;
      const chunk: string[] = [];
      while (i < names.length && (chunk.length === 0 || bytes + Buffer.byteLength(names[i]) + 1 <= CHUNK_BYTES)) {
        bytes += Buffer.byteLength(names[i]) + 1;
        chunk.push(names[i++]);
      }
      const lines = this.exchange(chunk);
      if (!lines) {
        this.close();
        return null;
      }
      for (const l of lines) out.push(l);
    }
    return out;
  }

  /** Write names, read one line per name. */
  private exchange(names: string[]): string[] | null {
    if (this.inFd === null || this.outFd === null) return null;
    try {
      const data = Buffer.from(names.join('\n') + '\n');
      for (let off = 0; off < data.length; ) off += writeSync(this.inFd, data, off);
    } catch {
      return null;
    }
    return this.read(this.outFd, names.length);
  }

  /** `lines` lines from fd; `timeoutMs` only applies to a non-blocking fd. */
  private read(fd: number, lines: number, timeoutMs = 0): string[] | null {
    try {
      const parts: Buffer[] = [];
      let newlines = 0;
      const buf = Buffer.allocUnsafe(64 * 1024);
      const deadline = Date.now() + timeoutMs;
      while (newlines < lines) {
        let n: number;
        try {
          n = readSync(fd, buf, 0, buf.length, null);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'EAGAIN' || Date.now() > deadline) return null;
          Atomics.wait(sleeper, 0, 0, 1);
          continue;
        }
        if (n === 0) return null; // EOF: c++filt is gone
        const part = Buffer.from(buf.subarray(0, n));
        for (let k = part.indexOf(10); k >= 0; k = part.indexOf(10, k + 1)) newlines++;
        parts.push(part);
      }
      const out = Buffer.concat(parts).toString('utf8').split('\n');
      out.pop();
      return out.length === lines ? out : null;
    } catch {
      return null;
    }
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Ends c++filt (EOF on its input, then SIGTERM). Idempotent. */
  close(): void {
    if (this.probeFd !== null) closeSync(this.probeFd);
    this.probeFd = null;
    if (this.inFd !== null) closeSync(this.inFd);
    if (this.outFd !== null) closeSync(this.outFd);
    this.inFd = this.outFd = null;
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill();
  }
}
