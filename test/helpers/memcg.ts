// Memory reclaim a test causes: a cgroup v1 memory cgroup with a small limit, a file much
// bigger than it on the disk, and a reader (test/fixtures/workloads/file-reader.c) that
// reads it through the page cache from inside the cgroup, so its charges stall in memcg
// reclaim. Everything is removed again by cleanup(), whatever the test did.
import { mkdirSync, mkdtempSync, rmSync, rmdirSync, writeFileSync, existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { start, waitFor, workload } from './processes.js';

export const V1_MEMORY_ROOT = '/sys/fs/cgroup/memory';

/** Why memcg reclaim cannot be made here, or null. */
export function memcgUnavailableReason(): string | null {
  return existsSync(join(V1_MEMORY_ROOT, 'memory.limit_in_bytes')) ? null : `no cgroup v1 memory hierarchy at ${V1_MEMORY_ROOT}`;
}

export class MemoryPressure {
  readonly dir = mkdtempSync(join(tmpdir(), 'huatuo-memcg-'));
  readonly file = join(this.dir, 'big');
  /** The cgroup's path inside the hierarchy ("/ht-…") and its directory. */
  readonly cgroup: string;
  readonly cgroupDir: string;

  constructor(name: string, readonly limitBytes = 32 * 1024 * 1024, readonly fileMb = 300) {
    this.cgroup = `/${name}`;
    this.cgroupDir = join(V1_MEMORY_ROOT, name);
    // Written (not sparse) to the disk: each page read is a real page-cache page charged to the reader.
    const r = spawnSync('dd', ['if=/dev/zero', `of=${this.file}`, 'bs=1M', `count=${fileMb}`, 'conv=fsync', 'status=none']);
    if (r.status !== 0) throw new Error(`dd: ${r.stderr}`);
    mkdirSync(this.cgroupDir);
    writeFileSync(join(this.cgroupDir, 'memory.limit_in_bytes'), String(limitBytes));
  }

  /** Read the file to its end from a new process inside the cgroup (or, with `limited` false, outside it); resolves with its pid. */
  read(limited = true): Promise<number> {
    const bin = workload('file-reader', ['-O1', '-fno-omit-frame-pointer']);
    const p = limited
      ? start('sh', ['-c', `echo $$ > ${this.cgroupDir}/cgroup.procs && exec ${bin} ${this.file} 1`])
      : start(bin, [this.file, '1']);
    return new Promise((resolve, reject) => p.on('close', (code) => (code === 0 ? resolve(p.pid!) : reject(new Error(`file-reader exited ${code}`)))));
  }

  /** Remove the cgroup (once its readers are gone) and the file. */
  async cleanup(): Promise<void> {
    await waitFor('the cgroup empty', () => {
      try {
        rmdirSync(this.cgroupDir);
        return true;
      } catch (e) {
        return (e as NodeJS.ErrnoException).code === 'ENOENT';
      }
    }, 5000).catch(() => {});
    rmSync(this.dir, { recursive: true, force: true });
  }
}
