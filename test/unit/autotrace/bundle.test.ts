import { describe, it, expect, afterAll } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BundleDir } from '../../../src/autotrace/bundle.js';

const root = mkdtempSync(join(tmpdir(), 'huatuo-bundle-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('autotrace bundles', () => {
  it('a bundle appears whole or not at all: written hidden, renamed into place, files 0600', () => {
    const dir = new BundleDir(join(root, 'a'));
    dir.prepare();
    expect(statSync(dir.dir).mode & 0o777).toBe(0o700);
    const b = dir.begin('cap1');
    writeFileSync(b.file('flame.svg'), '<svg/>', { mode: 0o644 });
    writeFileSync(b.file('summary.json'), '{}');
    // Before commit, a reader of --dir sees no bundle: only the hidden partial directory.
    expect(readdirSync(dir.dir)).toEqual(['.cap1.partial']);
    expect(b.commit()).toBe(8);
    expect(readdirSync(dir.dir)).toEqual(['cap1']);
    for (const f of readdirSync(b.final)) expect(statSync(join(b.final, f)).mode & 0o777, f).toBe(0o600);
    expect(dir.bytesUsed()).toBe(8);
    expect(() => dir.begin('cap1')).toThrow(/exists already/);
  });

  it('a failed capture is discarded whole; partial directories a crash left are removed at start', () => {
    const dir = new BundleDir(join(root, 'b'));
    dir.prepare();
    const b = dir.begin('cap2');
    writeFileSync(b.file('profile.json'), 'half');
    b.discard();
    b.discard(); // idempotent
    expect(readdirSync(dir.dir)).toEqual([]);
    mkdirSync(join(dir.dir, '.crashed.partial'));
    writeFileSync(join(dir.dir, '.crashed.partial', 'x'), 'x');
    new BundleDir(dir.dir).prepare();
    expect(readdirSync(dir.dir)).toEqual([]);
  });

  it('the index: one JSON line per record, 0600; a non-regular index.ndjson is refused, never replaced', () => {
    const dir = new BundleDir(join(root, 'c'));
    dir.prepare();
    dir.log({ type: 'trigger', rule: 'cpu.sys>40' });
    dir.log({ type: 'suppressed', reason: 'cooldown' });
    expect(readFileSync(dir.index, 'utf8').trim().split('\n').map((l) => JSON.parse(l).type)).toEqual(['trigger', 'suppressed']);
    expect(statSync(dir.index).mode & 0o777).toBe(0o600);
    const other = join(root, 'd');
    mkdirSync(other);
    symlinkSync('/etc/passwd', join(other, 'index.ndjson'));
    expect(() => new BundleDir(other).prepare()).toThrow(/not a regular file/);
    writeFileSync(join(root, 'file'), '');
    expect(() => new BundleDir(join(root, 'file')).prepare()).toThrow(/--dir/);
    expect(existsSync('/etc/passwd')).toBe(true);
  });
});
