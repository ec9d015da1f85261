// A small ext4 on a loop device over a file in /dev/shm (a tmpfs): real block I/O, with
// real D-state waits and io pressure, on no disk of the machine's.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

/** A 64 MiB ext4 mounted in a directory of the test's own; its removal goes on `cleanups` (run in reverse). */
export function loopExt4(cleanups: Array<() => void>): string {
  const dir = mkdtempSync(join('/dev/shm', 'huatuo-ext4-'));
  const img = join(dir, 'fs.img');
  const mnt = join(dir, 'mnt');
  mkdirSync(mnt);
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const run = (cmd: string, args: string[]) => {
    const r = spawnSync(cmd, args, { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
  };
  run('truncate', ['-s', '64M', img]);
  // Tables initialised now, not by ext4lazyinit after mount: that background I/O would be
  // io pressure and D-state waits the test did not ask for.
  run('mkfs.ext4', ['-q', '-F', '-E', 'lazy_itable_init=0,lazy_journal_init=0', img]);
  run('mount', ['-o', 'loop', img, mnt]);
  // Unmounting detaches the loop device (mount -o loop sets autoclear). Lazy: a workload
  // killed a moment ago may still hold the file.
  cleanups.push(() => spawnSync('umount', ['-l', mnt]));
  return mnt;
}
