// Every file huatuo writes goes through here: captures (-o) and rendered exports (--svg,
// --html, --folded, --speedscope, --pprof). The rules (docs/output-files.md):
// - `-` is stdout (results that would go there move to stderr: see results.ts).
// - A regular file is replaced atomically (temp file in its directory, fsync, rename).
// - A symlink is followed, never replaced: the file it points at is what gets replaced.
// - A character device or a FIFO is written in place (/dev/null, /dev/stdout, >(cmd));
//   a directory, a socket or a block device is refused.
// - Captures are mode 0600 (they hold command lines); exports are 0666 less the umask.
//   Under sudo both belong to the user who ran sudo, so they can open them.
// - checkOutputs() runs before anything is attached; a write that still fails at the end
//   leaves the data in a rescue file and says where.
import {
  openSync, writeFileSync, fsyncSync, closeSync, renameSync, unlinkSync, chmodSync, chownSync,
  lstatSync, statSync, realpathSync, readFileSync, constants, type Stats,
} from 'node:fs';
import { dirname, basename, join, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import { HuatuoError, ExitCode, usageError } from '../errors.js';
import { claimStdout } from './results.js';

export type OutputKind = 'capture' | 'export';

export interface OutputTarget {
  /** The flag that named it, for messages (`-o`, `--svg`). */
  flag: string;
  path: string;
  kind: OutputKind;
}

/** How a target will be written, decided from what is at the path now. */
type Plan =
  | { how: 'stdout' }
  | { how: 'in-place'; path: string; fifo: boolean }
  | { how: 'replace'; path: string };

const errno = (e: unknown) => (e as NodeJS.ErrnoException).code ?? (e as Error).message;

function statOrNull(path: string, follow: boolean): Stats | null {
  try {
    return follow ? statSync(path) : lstatSync(path);
  } catch (e) {
    // ENOTDIR: a parent is a file; checkDirectory says so.
    if (errno(e) === 'ENOENT' || errno(e) === 'ENOTDIR') return null;
    throw new HuatuoError(`cannot use ${path}: ${errno(e)}`, ExitCode.Usage);
  }
}

function typeName(s: Stats): string {
  if (s.isDirectory()) return 'a directory';
  if (s.isSocket()) return 'a socket';
  if (s.isBlockDevice()) return 'a block device';
  return 'not a regular file';
}

function planFor(t: OutputTarget): Plan {
  if (t.path === '-') return { how: 'stdout' };
  const what = `${t.flag} ${t.path}`;
  if (t.path === '') throw usageError(`${t.flag}: the file name is empty`);
  const link = statOrNull(t.path, false);
  const target = link?.isSymbolicLink() ? statOrNull(t.path, true) : link;
  if (link?.isSymbolicLink() && !target) throw usageError(`${what}: is a symlink to a file that does not exist`);
  if (!target) return { how: 'replace', path: resolve(t.path) };
  if (target.isFile()) {
    // Replace what the link points at, in that file's own directory: the link stays.
    return { how: 'replace', path: link!.isSymbolicLink() ? realpathSync(t.path) : resolve(t.path) };
  }
  if (target.isCharacterDevice() || target.isFIFO()) return { how: 'in-place', path: t.path, fifo: target.isFIFO() };
  throw usageError(`${what}: is ${typeName(target)}; give a file name`);
}

/** The directory must exist and take a new file: try one (root passes access(2) but not a read-only mount). */
function checkDirectory(t: OutputTarget, file: string): void {
  const dir = dirname(file);
  const d = statOrNull(dir, true);
  if (!d) throw usageError(`${t.flag} ${t.path}: directory ${dir} does not exist`);
  if (!d.isDirectory()) throw usageError(`${t.flag} ${t.path}: ${dir} is not a directory`);
  const probe = join(dir, `.${basename(file)}.${process.pid}.probe`);
  try {
    closeSync(openSync(probe, 'wx', 0o600));
    unlinkSync(probe);
  } catch (e) {
    throw usageError(`${t.flag} ${t.path}: cannot create files in ${dir} (${errno(e)})`);
  }
}

/**
 * Check every output before the run: names, directories, what exists at each path, and
 * that no two outputs (nor two `-`) are the same. Throws a usage error (exit 2) naming
 * the flag; claims stdout for a `-`.
 */
export function checkOutputs(targets: OutputTarget[]): void {
  const seen = new Map<string, string>();
  for (const t of targets) {
    const plan = planFor(t);
    const key = plan.how === 'stdout' ? '-' : resolve(plan.path);
    const other = seen.get(key);
    if (other) throw usageError(`${other} and ${t.flag} name the same ${key === '-' ? 'stdout' : `file (${key})`}: give each its own`);
    seen.set(key, t.flag);
    if (plan.how === 'replace') checkDirectory(t, plan.path);
    if (plan.how === 'in-place' && !plan.fifo) {
      try {
        closeSync(openSync(plan.path, constants.O_WRONLY | constants.O_NONBLOCK));
      } catch (e) {
        throw usageError(`${t.flag} ${t.path}: cannot open it for writing (${errno(e)})`);
      }
    }
  }
  for (const t of targets) if (t.path === '-') claimStdout(t.flag);
}

/** The user who ran `sudo huatuo …`, when we are root through sudo. */
export function invokingUser(env = process.env): { uid: number; gid: number } | null {
  if (process.getuid?.() !== 0) return null;
  const uid = Number(env.SUDO_UID);
  const gid = Number(env.SUDO_GID);
  if (!env.SUDO_UID || !Number.isInteger(uid) || uid <= 0) return null;
  return { uid, gid: env.SUDO_GID && Number.isInteger(gid) && gid >= 0 ? gid : uid };
}

/** The process umask, read without changing it (process.umask() with no argument sets it twice). */
export function currentUmask(): number {
  try {
    const m = /^Umask:\s*([0-7]+)/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return parseInt(m[1], 8);
  } catch { /* no /proc: assume the common default */ }
  return 0o022;
}

export function modeFor(kind: OutputKind): number {
  return kind === 'capture' ? 0o600 : 0o666 & ~currentUmask();
}

function writeAll(fd: number, data: string | Uint8Array): void {
  // writeFileSync on an fd loops until every byte is written (a bare writeSync may not).
  writeFileSync(fd, data);
}

/** Replace a regular file atomically: temp file beside it, mode and owner set, fsync, rename. */
function replaceFile(path: string, data: string | Uint8Array, kind: OutputKind): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  let fd = -1;
  try {
    fd = openSync(tmp, 'wx', 0o600);
    writeAll(fd, data);
    fsyncSync(fd);
    closeSync(fd);
    fd = -1;
    chmodSync(tmp, modeFor(kind));
    const owner = invokingUser();
    if (owner) chownSync(tmp, owner.uid, owner.gid);
    renameSync(tmp, path);
  } catch (e) {
    if (fd >= 0) closeSync(fd);
    try { unlinkSync(tmp); } catch { /* never created */ }
    throw e;
  }
}

function writeInPlace(path: string, fifo: boolean, data: string | Uint8Array): void {
  let probe = -1;
  if (fifo) {
    // A blocking open of a FIFO waits for a reader forever (and signals with it): fail
    // at once when there is none; once one is there, a blocking open returns at once.
    try {
      probe = openSync(path, constants.O_WRONLY | constants.O_NONBLOCK);
    } catch (e) {
      if (errno(e) === 'ENXIO') throw new Error('the FIFO has no reader');
      throw e;
    }
  }
  try {
    const fd = openSync(path, constants.O_WRONLY);
    try {
      writeAll(fd, data);
    } finally {
      closeSync(fd);
    }
  } finally {
    if (probe >= 0) closeSync(probe);
  }
}

/** Where data goes when its file cannot be written: private, in the temp directory. */
function rescue(t: OutputTarget, data: string | Uint8Array): string | null {
  const name = basename(t.path === '-' ? 'stdout' : t.path).replace(/^\.+/, '') || 'output';
  const path = join(tmpdir(), `huatuo-rescued-${process.pid}-${Date.now()}-${name}`);
  try {
    replaceFile(path, data, 'capture');
    return path;
  } catch {
    return null;
  }
}

/** Write one output by the rules above; on failure keep the data in a rescue file and say where. */
export function writeOutput(t: OutputTarget, data: string | Uint8Array): void {
  try {
    const plan = planFor(t);
    if (plan.how === 'stdout') process.stdout.write(data);
    else if (plan.how === 'in-place') writeInPlace(plan.path, plan.fifo, data);
    else replaceFile(plan.path, data, t.kind);
  } catch (e) {
    const why = e instanceof HuatuoError ? e.message : errno(e);
    const kept = rescue(t, data);
    throw new HuatuoError(`cannot write ${t.path} (${t.flag}): ${why}${kept ? `; the data is kept in ${kept}` : ''}`, ExitCode.Runtime);
  }
}

/**
 * Write several outputs; each is tried even when an earlier one fails, and the failures
 * are thrown together at the end. Returns the paths written.
 */
export function writeOutputs(items: Array<{ target: OutputTarget; data: () => string | Uint8Array }>): string[] {
  const written: string[] = [];
  const failed: string[] = [];
  for (const { target, data } of items) {
    try {
      writeOutput(target, data());
      written.push(target.path === '-' ? 'stdout' : target.path);
    } catch (e) {
      failed.push((e as Error).message);
    }
  }
  if (failed.length) throw new HuatuoError(failed.join('\nhuatuo: '), ExitCode.Runtime);
  return written;
}
