// huatuo profile's bounds, through the real CLI: usage errors (sampling faster than the cap,
// unwritable outputs, the duration twice) refused at once with exit 2 before anything is
// attached; the fastest accepted sampling on a busy machine ends within -d + 2 s; SIGTERM
// ends a run within 2 s with exit 0 and its files written; `-` outputs leave stdout to them.
import { afterAll, expect, it } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { join } from 'node:path';
import { describeBpf } from '../helpers/env.js';
import { workload, start, killAll, huatuo, expectNothingLeft } from '../helpers/processes.js';
import { kernelMaxSampleRate, MAX_SAMPLE_HZ } from '../../src/tools/profile.js';

const out = mkdtempSync(join(tmpdir(), 'huatuo-profile-limits-'));
const FP = ['-O0', '-fno-omit-frame-pointer'];

afterAll(async () => {
  await killAll();
  rmSync(out, { recursive: true, force: true });
});

/** Every CPU busy: spin-ab on all but one, and a JIT-compiling node process (new code every turn). */
function load(): ChildProcess[] {
  const js = 'const end=Date.now()+30000;let k=0;while(Date.now()<end){const f=new Function("x","let s=0;for(let i=0;i<2e4;i++)s+=i*x+"+(k++)+";return s");for(let j=0;j<100;j++)f(j)}';
  return [...cpus().slice(1).map(() => start(workload('spin-ab', FP), ['30'])), start(process.execPath, ['-e', js])];
}

/** Run huatuo with -v; resolves with the run and the ms from its "attached" line to its exit. */
async function timed(args: string[], onAttached?: (p: ChildProcess) => void, timeoutMs = 60_000) {
  let attachedAt = 0;
  const t0 = performance.now();
  const log: string[] = []; // huatuo's debug lines with their times, for failure messages
  const r = await huatuo(['profile', '-v', ...args], {
    timeoutMs,
    onStart: (p) => p.stderr!.on('data', (d) => {
      for (const l of String(d).split('\n')) if (l && !l.includes('libbpf')) log.push(`${((performance.now() - t0) / 1000).toFixed(2)} ${l}`);
      if (!attachedAt && String(d).includes('profile: attached to')) {
        attachedAt = performance.now();
        onAttached?.(p);
      }
    }),
  });
  log.push(`${((performance.now() - t0) / 1000).toFixed(2)} exit ${r.code}`);
  await expectNothingLeft(r);
  return { ...r, afterAttachMs: attachedAt ? performance.now() - attachedAt : NaN, log: log.join('\n') };
}

describeBpf('huatuo profile: limits, signals, outputs', () => {
  it('refuses sampling faster than the cap, naming the limit, at once and before attaching', async () => {
    const kmax = kernelMaxSampleRate();
    for (const args of [['--period', '20000'], ['--period', '1'], ['-F', String(MAX_SAMPLE_HZ + 1)], ['-F', '5000'], ['--event', 'cycles', '--period', '1000']]) {
      const t0 = performance.now();
      const r = await timed([...args, '-d', '600'], undefined, 10_000);
      expect(r.code, args.join(' ')).toBe(2);
      expect(performance.now() - t0).toBeLessThan(5000);
      expect(r.stderr).not.toContain('attached');
      const lines = r.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(args[0] === '-F' ? new RegExp(`highest frequency is ${MAX_SAMPLE_HZ} Hz`) : /shortest .*period is \d+/);
      if (args[0] !== '--event') expect(lines[0]).toContain(`perf_event_max_sample_rate is ${kmax}`);
      expect(r.stdout).toBe('');
    }
  });

  it('checks every output path before attaching: -d 600 --svg into a missing directory exits 2 at once', async () => {
    for (const args of [['--svg', '/nonexistent-huatuo-dir/x.svg'], ['-o', '/nonexistent-huatuo-dir/cap.json'], ['--folded', out, '--html', join(out, 'x.html')]]) {
      const t0 = performance.now();
      const r = await timed(['-d', '600', ...args], undefined, 10_000);
      expect(r.code, args.join(' ')).toBe(2);
      expect(performance.now() - t0).toBeLessThan(5000);
      expect(r.stderr).not.toContain('attached');
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toContain(args[0]);
    }
  });

  it('takes the duration as bcc does (profile 2) but not twice', async () => {
    const twice = await timed(['2', '-d', '2']);
    expect(twice.code).toBe(2);
    expect(twice.stderr).toMatch(/^huatuo: give the duration once/);
    const r = await timed(['--json', '-i', '1', '2']);
    expect(r.code, r.stderr).toBe(0);
    const records = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(records.map((x) => x.type)).toEqual(['interval', 'interval', 'summary']);
    expect(records[2].duration_s).toBeGreaterThan(1.9);
    expect(records[2].duration_s).toBeLessThan(2.5);
  });

  it('the fastest sampling it accepts, on busy CPUs, ends within -d + 2 s', async () => {
    const busy = load();
    try {
      for (const rate of [['--period', String(1e9 / MAX_SAMPLE_HZ)], ['-F', String(MAX_SAMPLE_HZ)]]) {
        const svg = join(out, 'fast.svg');
        const r = await timed([...rate, '-d', '2', '--plain', '--svg', svg]);
        expect(r.code, r.stderr).toBe(0);
        expect(r.afterAttachMs, `${rate.join(' ')}\n${r.log}`).toBeLessThan(2000 + 2000);
        expect(readFileSync(svg, 'utf8')).toContain('</svg>');
        rmSync(svg);
      }
    } finally {
      for (const p of busy) p.kill('SIGKILL');
    }
  });

  it('SIGTERM 1 s after attach ends the run within 2 s, exit 0, its files written', async () => {
    const busy = load();
    const svg = join(out, 'term.svg');
    let sentAt = 0;
    try {
      const r = await timed(['-F', String(MAX_SAMPLE_HZ), '--plain', '--svg', svg], (p) => setTimeout(() => {
        sentAt = performance.now();
        p.kill('SIGTERM');
      }, 1000));
      const sinceSignal = performance.now() - sentAt;
      expect(sentAt).toBeGreaterThan(0);
      expect(r.code, r.stderr).toBe(0);
      expect(sinceSignal, r.log).toBeLessThan(2000);
      expect(r.stdout).toMatch(/^profile: \d+ samples in /);
      expect(existsSync(svg)).toBe(true);
    } finally {
      for (const p of busy) p.kill('SIGKILL');
    }
  });

  it('an output on stdout (--folded -) takes stdout; the summary goes to stderr', async () => {
    const p = start(workload('spin-ab', FP), ['10']);
    try {
      const r = await timed(['-p', String(p.pid), '-d', '1', '--folded', '-']);
      expect(r.code, r.stderr).toBe(0);
      const lines = r.stdout.trim().split('\n');
      expect(lines.length).toBeGreaterThan(0);
      for (const l of lines) expect(l).toMatch(/^spin-ab;.* \d+$/);
      expect(r.stderr).toMatch(/profile: \d+ samples/);
    } finally {
      p.kill('SIGKILL');
    }
  });
});
