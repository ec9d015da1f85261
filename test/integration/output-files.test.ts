// Output files as the real CLI writes them: whatever is at the path stays what it was
// (device, FIFO, symlink, directory, socket), bad paths fail before anything is
// attached, and files written under sudo belong to the user who ran it.
import { describe, it, expect, beforeEach, afterEach, afterAll } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import {
  mkdtempSync, rmSync, writeFileSync, readFileSync, symlinkSync, lstatSync, statSync, mkdirSync,
  readlinkSync, existsSync, unlinkSync, chmodSync,
} from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeBpf } from '../helpers/env.js';
import { huatuo, killAll, type Run } from '../helpers/processes.js';

let dir: string;
const servers: Server[] = [];
const mounts: string[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'huatuo-test-out-'));
});
afterEach(async () => {
  await killAll();
  for (const s of servers.splice(0)) s.close();
  for (const m of mounts.splice(0)) spawnSync('umount', [m]);
  rmSync(dir, { recursive: true, force: true });
});
afterAll(killAll);

const FOLDED = 'main;work;spin 30\nmain;idle 10\n';

function folded(): string {
  const p = join(dir, 'in.folded');
  writeFileSync(p, FOLDED);
  return p;
}

/** A capture: schedlat for half a second. */
const capture = (out: string, more: string[] = [], env?: NodeJS.ProcessEnv) =>
  huatuo(['schedlat', '-d', '0.5', '--json', '-o', out, ...more], { env: env ?? process.env });
/** An export: report renders collapsed stacks (no BPF). */
const exportSvg = (out: string, env?: NodeJS.ProcessEnv) => huatuo(['report', folded(), '--svg', out], { env: env ?? process.env });

function mknod(name: string, major: number, minor: number): string {
  const p = join(dir, name);
  const r = spawnSync('mknod', [p, 'c', String(major), String(minor)]);
  if (r.status !== 0) throw new Error(`mknod failed: ${r.stderr}`);
  return p;
}

function mkfifo(name: string): string {
  const p = join(dir, name);
  if (spawnSync('mkfifo', [p]).status !== 0) throw new Error('mkfifo failed');
  return p;
}

function oneErrorLine(r: Run): string {
  const lines = r.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  return lines[0];
}

/** The path of the rescue file an error line names, removed by the caller. */
function rescued(line: string): string {
  const m = /the data is kept in (\S+)/.exec(line);
  expect(m, line).not.toBeNull();
  return m![1];
}

describeBpf('output files: what exists at the path stays what it was', () => {
  it('a character device (/dev/null-like) is written in place and stays a device', async () => {
    const dev = mknod('null', 1, 3);
    for (const r of [await capture(dev), await exportSvg(dev)]) {
      expect(r.code, r.stderr).toBe(0);
      const st = lstatSync(dev);
      expect(st.isCharacterDevice()).toBe(true);
      expect(st.rdev).toBe(statSync('/dev/null').rdev);
    }
  });

  it('a full device (/dev/full-like) stays a device; the data goes to a rescue file, exit 1', async () => {
    const dev = mknod('full', 1, 7);
    const r = await capture(dev);
    expect(r.code).toBe(1);
    const line = oneErrorLine(r);
    expect(line).toMatch(/cannot write .*full.*ENOSPC/);
    const kept = rescued(line);
    try {
      expect(lstatSync(kept).mode & 0o777).toBe(0o600);
      expect(JSON.parse(readFileSync(kept, 'utf8'))).toMatchObject({ format: 'huatuo-capture', tool: 'schedlat' });
    } finally {
      rmSync(kept, { force: true });
    }
    expect(lstatSync(dev).isCharacterDevice()).toBe(true);
  });

  it('a FIFO with a reader gets the data and stays a FIFO', async () => {
    const fifo = mkfifo('pipe');
    const reader = spawn('cat', [fifo]);
    let got = '';
    reader.stdout.on('data', (d) => (got += d));
    const readerDone = new Promise((res) => reader.on('close', res));
    const r = await capture(fifo);
    await readerDone;
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(got)).toMatchObject({ format: 'huatuo-capture', tool: 'schedlat' });
    expect(lstatSync(fifo).isFIFO()).toBe(true);
  });

  it('a FIFO with no reader is not waited on forever: exit 1, data rescued, still a FIFO', async () => {
    const fifo = mkfifo('pipe');
    const r = await exportSvg(fifo);
    expect(r.code).toBe(1);
    const kept = rescued(oneErrorLine(r));
    try {
      expect(readFileSync(kept, 'utf8')).toMatch(/^<\?xml/);
    } finally {
      rmSync(kept, { force: true });
    }
    expect(lstatSync(fifo).isFIFO()).toBe(true);
  });

  it('a symlink is followed: the file it points at is replaced, the link stays a link', async () => {
    const real = join(dir, 'real.json');
    const link = join(dir, 'link.json');
    writeFileSync(real, 'old');
    symlinkSync(real, link);
    const r = await capture(link);
    expect(r.code, r.stderr).toBe(0);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readlinkSync(link)).toBe(real);
    expect(JSON.parse(readFileSync(real, 'utf8'))).toMatchObject({ tool: 'schedlat' });
    expect(lstatSync(real).mode & 0o777).toBe(0o600);
  });

  it('a symlink into another directory replaces the file there, atomically (no temp file left)', async () => {
    mkdirSync(join(dir, 'elsewhere'));
    const real = join(dir, 'elsewhere', 'p.svg');
    writeFileSync(real, 'old');
    symlinkSync(real, join(dir, 'p.svg'));
    const r = await exportSvg(join(dir, 'p.svg'));
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(real, 'utf8')).toMatch(/<svg/);
    expect(lstatSync(join(dir, 'p.svg')).isSymbolicLink()).toBe(true);
    expect(spawnSync('ls', ['-A', join(dir, 'elsewhere')], { encoding: 'utf8' }).stdout.trim()).toBe('p.svg');
  });

  it('a dangling symlink, a directory and a socket are refused up front with exit 2, and stay', async () => {
    const dangling = join(dir, 'dangling.json');
    symlinkSync(join(dir, 'nowhere.json'), dangling);
    const sub = join(dir, 'sub');
    mkdirSync(sub);
    const sock = join(dir, 'sock');
    const server = createServer();
    servers.push(server);
    await new Promise<void>((res) => server.listen(sock, res));
    for (const [path, why] of [[dangling, /symlink to a file that does not exist/], [sub, /is a directory/], [sock, /is a socket/]] as const) {
      for (const r of [await capture(path), await exportSvg(path)]) {
        expect(r.code).toBe(2);
        expect(oneErrorLine(r)).toMatch(why);
        expect(r.stdout).toBe('');
      }
    }
    expect(lstatSync(dangling).isSymbolicLink()).toBe(true);
    expect(existsSync(join(dir, 'nowhere.json'))).toBe(false);
    expect(lstatSync(sub).isDirectory()).toBe(true);
    expect(lstatSync(sock).isSocket()).toBe(true);
  });

  it('- is stdout: the capture alone on stdout, the tables on stderr', async () => {
    const r = await huatuo(['schedlat', '-d', '0.5', '-o', '-']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ format: 'huatuo-capture', tool: 'schedlat' });
    expect(r.stderr).toMatch(/COUNT/);
    const svg = await huatuo(['report', folded(), '--svg', '-']);
    expect(svg.code, svg.stderr).toBe(0);
    expect(svg.stdout).toMatch(/^<\?xml[^]*<\/svg>\s*$/);
  });
});

describeBpf('output files: bad paths fail before anything is attached', () => {
  const before = (r: Run) => {
    expect(r.code).toBe(2);
    expect(oneErrorLine(r)).not.toMatch(/attached/);
  };

  it('a missing directory, for a capture and for every export flag, exits 2 at once', async () => {
    const missing = join(dir, 'no-such-dir', 'x');
    const t0 = Date.now();
    before(await huatuo(['schedlat', '-v', '-d', '600', '-o', missing]));
    for (const flag of ['--svg', '--html', '--folded', '--speedscope', '--pprof']) {
      before(await huatuo(['profile', '-v', '-d', '600', flag, missing]));
    }
    before(await huatuo(['profile', '-v', '-d', '600', '-o', missing]));
    // Seven runs that would each take ten minutes if they started.
    expect(Date.now() - t0).toBeLessThan(30_000);
  });

  it('a parent that is a file, and a read-only file system, exit 2 naming the flag', async () => {
    const file = join(dir, 'plain');
    writeFileSync(file, '');
    const r1 = await huatuo(['schedlat', '-d', '600', '-o', join(file, 'x.json')]);
    before(r1);
    expect(r1.stderr).toMatch(/-o .*is not a directory/);
    const ro = join(dir, 'ro');
    mkdirSync(ro);
    expect(spawnSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=1m', 'huatuo-test-ro', ro]).status).toBe(0);
    mounts.push(ro);
    const r2 = await huatuo(['profile', '-d', '600', '--svg', join(ro, 'x.svg')]);
    before(r2);
    expect(r2.stderr).toMatch(/--svg .*cannot create files in .*EROFS/);
  });

  it('two outputs naming one file are refused', async () => {
    const out = join(dir, 'same');
    const r = await huatuo(['report', folded(), '--svg', out, '--html', out]);
    before(r);
    expect(r.stderr).toMatch(/--svg and --html name the same file/);
    expect(existsSync(out)).toBe(false);
  });
});

describeBpf('output files under sudo', () => {
  const NOBODY = 65534;
  const sudo = { ...process.env, SUDO_UID: String(NOBODY), SUDO_GID: String(NOBODY), SUDO_USER: 'nobody' };
  const umask = parseInt(/^Umask:\s*([0-7]+)/m.exec(readFileSync('/proc/self/status', 'utf8'))![1], 8);
  const readableBy = (path: string, uid: number) => spawnSync('cat', [path], { uid, gid: uid }).status === 0;

  it('exports belong to the user who ran sudo, with the umask\'s mode; captures too, but stay 0600', async () => {
    chmodSync(dir, 0o755); // so that the users below can reach the files
    const svg = join(dir, 'p.svg');
    const r = await exportSvg(svg, sudo);
    expect(r.code, r.stderr).toBe(0);
    expect(statSync(svg)).toMatchObject({ uid: NOBODY, gid: NOBODY });
    expect(statSync(svg).mode & 0o777).toBe(0o666 & ~umask);
    expect(readableBy(svg, NOBODY)).toBe(true);

    const cap = join(dir, 'cap.json');
    const c = await capture(cap, [], sudo);
    expect(c.code, c.stderr).toBe(0);
    expect(statSync(cap)).toMatchObject({ uid: NOBODY, gid: NOBODY });
    expect(statSync(cap).mode & 0o777).toBe(0o600);
    expect(readableBy(cap, NOBODY)).toBe(true);
    // 0600: nobody else (another unprivileged user) can read what it holds.
    expect(readableBy(cap, NOBODY - 1)).toBe(false);
  });

  it('without sudo, files are root\'s and captures 0600', async () => {
    const env = { ...process.env };
    delete env.SUDO_UID;
    delete env.SUDO_GID;
    const cap = join(dir, 'cap.json');
    expect((await capture(cap, [], env)).code).toBe(0);
    expect(statSync(cap)).toMatchObject({ uid: 0 });
    expect(statSync(cap).mode & 0o777).toBe(0o600);
    unlinkSync(cap);
  });
});
