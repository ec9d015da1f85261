// huatuo profile's other kinds end to end, against workloads of known shape
// (test/fixtures/workloads/wait-kinds.c): off-CPU time, D-state waits, lock contention,
// page faults, and the frames a frameless libc wrapper hides, recovered.
import { expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { spawnSync, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import AjvModule from 'ajv';
import { Profile } from 'pprof-format';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { describeBpf } from '../helpers/env.js';
import { packagePath } from '../../src/paths.js';
import { workload, start, huatuo, waitForComm, expectNothingLeft, type HuatuoOptions } from '../helpers/processes.js';
import { loopExt4 } from '../helpers/loopfs.js';
import { testScratch } from '../helpers/scratch.js';

const CPU = String(cpus().length - 1);
// -g: go tool pprof finds file and line in the binary (-lines).
const FP = ['-O0', '-g', '-fno-omit-frame-pointer'];
const { out, track, cleanups } = testScratch('huatuo-profile-kinds-');
const bin = () => workload('wait-kinds', FP);

/** folded text → [stack, count] pairs and the total. */
function folded(path: string): { stacks: Array<[string, number]>; total: number } {
  const stacks = readFileSync(path, 'utf8').trim().split('\n').filter(Boolean).map((l): [string, number] => {
    const i = l.lastIndexOf(' ');
    return [l.slice(0, i), Number(l.slice(i + 1))];
  });
  return { stacks, total: stacks.reduce((n, [, c]) => n + c, 0) };
}

const weightOf = (f: ReturnType<typeof folded>, match: (stack: string) => boolean) =>
  f.stacks.filter(([s]) => match(s)).reduce((n, [, c]) => n + c, 0);
const has = (stack: string, frames: string) => `;${stack};`.includes(`;${frames};`);

async function profile(args: string[], opts: HuatuoOptions = {}) {
  const r = await huatuo(['profile', ...(args.includes('--json') ? [] : ['--plain']), ...args], { timeoutMs: 60_000, ...opts });
  expect(r.code, r.stderr).toBe(0);
  await expectNothingLeft(r);
  return r;
}

/** Lines the workload prints, as they come. */
function output(p: ChildProcess): () => string {
  let text = '';
  p.stdout!.on('data', (d) => (text += d));
  return () => text;
}


describeBpf('huatuo profile --off-cpu, --lock, --page-faults (real BPF)', () => {
  it('--off-cpu: the sleeping path through nanosleep, its own function recovered, weighs what the program slept; every format says time and report redraws each byte for byte', async () => {
    // The loop (20 ms on CPU, 80 ms in nanosleep) starts at SIGUSR1, sent once huatuo is
    // attached, and ends 4.5 s later, inside the 5 s profile: all its sleeps are in it.
    const p = track(start('taskset', ['-c', CPU, bin(), 'wk-nap', 'nap', '20', '80', '4.5'], { ...process.env, WAIT_USR1: '1' }));
    const said = output(p);
    await waitForComm(p, 'wk-nap');
    const f = {
      folded: join(out, 'off.folded'), svg: join(out, 'off.svg'), html: join(out, 'off.html'),
      pprof: join(out, 'off.pb.gz'), speedscope: join(out, 'off.speedscope.json'), capture: join(out, 'off.json'),
    };
    const exited = new Promise((r) => p.once('exit', r));
    await profile(['--off-cpu', '-p', String(p.pid), '-d', '5', '--folded', f.folded, '--svg', f.svg, '--html', f.html,
      '--pprof', f.pprof, '--speedscope', f.speedscope, '-o', f.capture], {
      onStart: (_h, bpf) => void bpf.attached.then(() => p.kill('SIGUSR1')),
    });
    await exited;
    const m = /slept_ns (\d+) loop_ns (\d+)/.exec(said());
    expect(m, said()).not.toBeNull();
    const [sleptNs, loopNs] = [Number(m![1]), Number(m![2])];

    // Collapsed stacks in microseconds, as bcc's offcputime -f writes them.
    const st = folded(f.folded);
    const sleeping = (s: string) => has(s, 'sleep_here;nanosleep;clock_nanosleep') && has(s, 'do_nanosleep_[k]');
    const sleptUs = weightOf(st, sleeping);
    expect(Math.abs(sleptUs * 1000 - sleptNs) / sleptNs, `${sleptUs} us in the profile, ${sleptNs} ns slept`).toBeLessThan(0.1);
    expect(sleptUs * 1000 / loopNs).toBeGreaterThan(0.7);
    expect(sleptUs * 1000 / loopNs).toBeLessThan(0.9);
    // On CPU is not off CPU: the spinning function is nowhere.
    expect(st.stacks.filter(([s]) => s.includes('spin_here'))).toEqual([]);
    // Frame pointers alone give "nap;clock_nanosleep": the caller of the frameless wrapper is back.
    expect(st.stacks.filter(([s]) => has(s, 'clock_nanosleep') && !has(s, 'nap;sleep_here;nanosleep;clock_nanosleep'))).toEqual([]);

    // SVG: titled by what it weighs, tooltips in time.
    const svg = readFileSync(f.svg, 'utf8');
    expect(svg).toContain('huatuo profile: off-CPU time');
    expect(svg).toMatch(/<title>sleep_here \(\d+(\.\d+)?(s|ms), ([6-9]\d|100)\.\d+%\)<\/title>/);
    expect(readFileSync(f.html, 'utf8')).toContain('"time":true');
    // pprof: one sample type, offcpu/nanoseconds, as go tool pprof reads it.
    const prof = Profile.decode(gunzipSync(readFileSync(f.pprof)));
    const str = (i: number | bigint) => prof.stringTable.strings[Number(i)];
    expect(prof.sampleType.map((t) => `${str(t.type)}/${str(t.unit)}`)).toEqual(['offcpu/nanoseconds']);
    const pprofNs = prof.sample.reduce((n, s) => n + Number(s.value[0]), 0);
    expect(Math.abs(pprofNs / 1000 - st.total)).toBeLessThan(st.stacks.length); // the folded file rounds each stack to a microsecond
    const top = spawnSync('go', ['tool', 'pprof', '-top', f.pprof], { encoding: 'utf8', env: { ...process.env, HOME: out } });
    expect(top.status, top.stderr).toBe(0);
    expect(top.stdout).toMatch(/^Type: offcpu$/m);
    expect(top.stdout).toMatch(/^Duration: 5(\.\d+)?s, Total samples = /m); // duration_nanos is set
    expect(Number(prof.timeNanos) / 1e6).toBeGreaterThan(Date.now() - 60_000);
    expect(top.stdout).toMatch(/^\s*0\s+0%\s+\d+%\s+\d+(\.\d+)?s\s+\d+(\.\d+)?%\s+sleep_here$/m);
    // Real mappings and addresses: the workload's binary with its build-id, so pprof reads
    // file and line from it (-lines) and disassembles it (-disasm).
    const binary = prof.mapping.find((mp) => str(mp.filename) === bin())!;
    expect(binary, prof.mapping.map((mp) => str(mp.filename)).join(' ')).toBeDefined();
    expect(str(binary.buildId)).toMatch(/^[0-9a-f]{40}$/);
    expect(str(prof.mapping[0].filename)).toBe(bin()); // the "main binary": the native one with the most weight
    const pprofTool = (...args: string[]) => {
      const r = spawnSync('go', ['tool', 'pprof', ...args, f.pprof], { encoding: 'utf8', env: { ...process.env, HOME: out } });
      expect(r.status, r.stderr).toBe(0);
      return r.stdout;
    };
    expect(pprofTool('-top', '-lines')).toMatch(/ sleep_here \S*wait-kinds\.c:\d+$/m);
    expect(pprofTool('-disasm', 'sleep_here')).toMatch(/ROUTINE =+ sleep_here[\s\S]*CALL/);
    expect(pprofTool('-top', '-addresses')).toMatch(/^\s*\S+\s+\S+\s+\S+\s+\S+\s+\S+\s+[0-9a-f]{6,} \S+/m);
    // Whose the time is, as labels: -tagfocus keeps the workload's pid, and drops all for another.
    expect(pprofTool('-tags')).toMatch(new RegExp(`^\\s*\\d+(\\.\\d+)?s \\(\\s*100%\\): ${p.pid}$`, 'm'));
    expect(pprofTool('-top', `-tagfocus=pid=${p.pid}`)).toMatch(/sleep_here$/m);
    expect(pprofTool('-top', '-tagfocus=comm=wk-nap')).toMatch(/sleep_here$/m);
    expect(pprofTool('-top', '-tagfocus=comm=nobody')).not.toMatch(/sleep_here$/m);
    // speedscope: valid, weighted in nanoseconds.
    const require = createRequire(import.meta.url);
    const schema = JSON.parse(readFileSync(require.resolve('speedscope/dist/release/file-format-schema.json'), 'utf8')) as object;
    const Ajv = ((AjvModule as unknown as { default?: typeof AjvModule }).default ?? AjvModule) as unknown as new (o: object) => { compile(s: object): (d: unknown) => boolean };
    const ss = JSON.parse(readFileSync(f.speedscope, 'utf8')) as { profiles: Array<{ unit: string; weights: number[] }> };
    expect(new Ajv({ strict: false }).compile(schema)(ss)).toBe(true);
    expect(ss.profiles[0].unit).toBe('nanoseconds');
    expect(ss.profiles[0].weights.reduce((a, b) => a + b, 0)).toBe(pprofNs);
    // The capture records the kind; report draws every file again, byte for byte.
    const cap = JSON.parse(readFileSync(f.capture, 'utf8')) as { data: { meta: { kind: string; min_block_ns: number } } };
    expect(cap.data.meta.kind).toBe('off-cpu');
    expect(cap.data.meta.min_block_ns).toBe(1e6);
    const again = (ext: string) => join(out, `again.${ext}`);
    const rep = spawnSync(process.execPath, [packagePath('bin', 'huatuo'), 'report', f.capture, '--folded', again('folded'), '--svg', again('svg'),
      '--html', again('html'), '--pprof', again('pb.gz'), '--speedscope', again('speedscope.json')], { encoding: 'utf8', timeout: 30_000 });
    expect(rep.status, rep.stderr).toBe(0);
    for (const [ext, file] of [['folded', f.folded], ['svg', f.svg], ['html', f.html], ['pb.gz', f.pprof], ['speedscope.json', f.speedscope]]) {
      expect(readFileSync(again(ext)).equals(readFileSync(file)), ext).toBe(true);
    }
  });

  it('--state D: an fdatasync loop on a loop-mounted ext4 shows, through the block layer; a nanosleeper does not (and does under --state S)', async () => {
    const mnt = loopExt4(cleanups);
    const sync = track(start('taskset', ['-c', CPU, bin(), 'wk-sync', 'sync', join(mnt, 'f'), '20']));
    const nap = track(start(bin(), ['wk-nap2', 'nap', '1', '20', '20']));
    await waitForComm(sync, 'wk-sync');
    await waitForComm(nap, 'wk-nap2');
    const [d, s] = [join(out, 'd.folded'), join(out, 's.folded')];
    await Promise.all([
      profile(['--off-cpu', '--state', 'D', '--min-block', '0', '-d', '3', '--folded', d]),
      profile(['--off-cpu', '--state', 'S', '-d', '3', '--folded', s]),
    ]);
    const dst = folded(d);
    const root = (name: string) => (stack: string) => stack.startsWith(`${name};`);
    expect(weightOf(dst, (st) => root('wk-sync')(st) && has(st, 'sync_here;fdatasync') && /;io_schedule\w*_\[k\]/.test(st))).toBeGreaterThan(0);
    expect(dst.stacks.filter(([st]) => root('wk-nap2')(st))).toEqual([]);
    const sst = folded(s);
    expect(weightOf(sst, (st) => root('wk-nap2')(st) && has(st, 'sleep_here;nanosleep;clock_nanosleep'))).toBeGreaterThan(1e6); // > 1 s in us
    expect(sst.stacks.filter(([st]) => root('wk-sync')(st) && has(st, 'fdatasync'))).toEqual([]);
  });

  it('--lock: threads changing one mapping\'s protection contend on its mmap lock, timed through mprotect', async () => {
    const p = track(start('taskset', ['-c', CPU, bin(), 'wk-lock', 'protect', '4', '20']));
    await waitForComm(p, 'wk-lock');
    const file = join(out, 'lock.folded');
    const r = await profile(['--lock', '-p', String(p.pid), '-d', '3', '--folded', file]);
    expect(r.stdout).toMatch(/^profile \(lock contention\): \d/m);
    const st = folded(file);
    const through = weightOf(st, (s) => has(s, 'protect_here;mprotect') && has(s, '__x64_sys_mprotect_[k]') && s.endsWith(';[rwsem:W]'));
    expect(through).toBeGreaterThan(0);
    expect(through / st.total).toBeGreaterThan(0.9);
  });

  it('--page-faults: faults are counted at the function that touches fresh memory', async () => {
    const p = track(start('taskset', ['-c', CPU, bin(), 'wk-touch', 'touch', '16', '20']));
    await waitForComm(p, 'wk-touch');
    const file = join(out, 'faults.folded');
    const r = await profile(['--page-faults', '-p', String(p.pid), '-d', '2', '--folded', file]);
    expect(r.stdout).toMatch(/^profile \(page faults\): \d+ faults/m);
    const st = folded(file);
    // 16 MiB is 4096 pages a round; a round takes milliseconds.
    expect(st.total).toBeGreaterThan(4096);
    expect(weightOf(st, (s) => s.endsWith(';touch_here')) / st.total).toBeGreaterThan(0.9);
  });

  it('on CPU too: samples inside libc\'s frameless getppid keep the function that called it, and the summary counts them as recovered', async () => {
    const p = track(start('taskset', ['-c', CPU, bin(), 'wk-sys', 'syscall', '20']));
    await waitForComm(p, 'wk-sys');
    const file = join(out, 'sys.folded');
    const r = await profile(['-p', String(p.pid), '-d', '2', '--folded', file, '--json']);
    const st = folded(file);
    const inStub = st.stacks.filter(([s]) => has(s, 'getppid'));
    expect(weightOf(st, (s) => has(s, 'getppid')) / st.total).toBeGreaterThan(0.3);
    expect(inStub.filter(([s]) => !has(s, 'main;syscall_here;getppid'))).toEqual([]);
    const summary = JSON.parse(r.stdout.trim().split('\n').pop()!) as { frameless: Array<{ module: string; recovered: number; lost: number }> };
    const libc = summary.frameless.find((x) => x.module.startsWith('libc'));
    expect(libc?.recovered).toBeGreaterThan(0);
  });

  it('refuses flags of another kind, and two kinds at once, before attaching anything', async () => {
    for (const args of [['--off-cpu', '--lock'], ['--lock', '-F', '99'], ['--min-block', '1ms'], ['--page-faults', '--state', 'D'], ['--off-cpu', '--kernel'], ['--off-cpu', '--min-block', 'soon']]) {
      const r = await huatuo(['profile', ...args, '-d', '1']);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.held.links).toEqual([]);
    }
  });
});
