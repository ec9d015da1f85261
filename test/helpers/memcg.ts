// Memory reclaim a test causes: a cgroup v1 memory cgroup with a small limit, files much
// bigger than it on the disk, and readers (test/fixtures/workloads/file-reader.c), one per
// file, that read them at once through the page cache from inside the cgroup, so their
// charges stall in memcg reclaim. Two readers reclaim from one LRU at the same time: on
// an idle machine a lone reader's stalls can all stay under 100 us, two make some of them
// longer every time (p99 150-200 us, max 0.2-0.7 ms measured here). Everything is removed
// again by cleanup(), whatever the test did.
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
  readonly files: string[];
  /** The cgroup's path inside the hierarchy ("/ht-…") and its directory. */
  readonly cgroup: string;
  readonly cgroupDir: string;

  constructor(name: string, readonly limitBytes = 32 * 1024 * 1024, readonly fileMb = 300, readers = 2) {
    this.cgroup = `/${name}`;
    this.cgroupDir = join(V1_MEMORY_ROOT, name);
    this.files = Array.from({ length: readers }, (_, i) => join(this.dir, `big${i}`));
    // Written (not sparse) to the disk: each page read is a real page-cache page charged to the reader.
    for (const f of this.files) {
      const r = spawnSync('dd', ['if=/dev/zero', `of=${f}`, 'bs=1M', `count=${fileMb}`, 'conv=fsync', 'status=none']);
      if (r.status !== 0) throw new Error(`dd: ${r.stderr}`);
    }
    mkdirSync(this.cgroupDir);
    writeFileSync(join(this.cgroupDir, 'memory.limit_in_bytes'), String(limitBytes));
  }

  /** Read every file to its end at once, a process each, inside the cgroup (or, with `limited` false, outside it); resolves with their pids. */
  read(limited = true): Promise<number[]> {
    const bin = workload('file-reader', ['-O1', '-fno-omit-frame-pointer']);
    return Promise.all(this.files.map((file) => {
      const p = limited
        ? start('sh', ['-c', `echo $$ > ${this.cgroupDir}/cgroup.procs && exec ${bin} ${file} 1`])
        : start(bin, [file, '1', 'keep-cache']); // the limited cgroup keeps its cached pages: its usage is read at the end
      return new Promise<number>((resolve, reject) => p.on('close', (code) => (code === 0 ? resolve(p.pid!) : reject(new Error(`file-reader exited ${code}`)))));
    }));
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
