// bpf/common.h hist_slot() and src/histogram/loglinear.ts slotOf() must agree value by value.
import { afterAll, expect, it } from 'vitest';
import { describeBpf } from '../helpers/env.js';
import { BpfObject } from '../../src/bpf-loader/object.js';
import { packagePath } from '../../src/paths.js';
import { slotOf, slotLow, slotHigh, HIST_SLOTS } from '../../src/histogram/loglinear.js';

const GETPPID: Record<string, number> = { x64: 110, arm64: 173 };

describeBpf('histogram slots: BPF == TypeScript', () => {
  let obj: BpfObject | undefined;
  afterAll(() => obj?.close());

  it('maps the same values to the same slots', () => {
    const values: number[] = [0, 1, 7, 8, 9, 15, 16, 17, 1000, 4095, 4096, 2 ** 40 - 1, 2 ** 41, 2 ** 52];
    for (let s = 0; values.length < 256 && s < HIST_SLOTS; s += 2) values.push(slotLow(s), slotHigh(s) - 1);
    values.length = 256;

    obj = BpfObject.open('hist_selftest', packagePath('build', 'bpf', 'hist_selftest.bpf.o'));
    obj.setRodata({ targ_tgid: process.pid, targ_syscall_nr: GETPPID[process.arch] });
    obj.load();
    values.forEach((v, i) => {
      const k = Buffer.alloc(4);
      k.writeUInt32LE(i);
      const b = Buffer.alloc(8);
      b.writeBigUInt64LE(BigInt(v));
      obj!.mapUpdate('inputs', k, b);
    });
    obj.attach(['hist_selftest']);
    expect(process.ppid).toBeGreaterThan(0); // libuv's uv_os_getppid: a real getppid(2)
    const fromBpf = values.map((_, i) => {
      const k = Buffer.alloc(4);
      k.writeUInt32LE(i);
      return Number(obj!.mapLookup('outputs', k)!.readBigUInt64LE(0));
    });
    expect(fromBpf).toEqual(values.map(slotOf));
    // And the program really ran: not all zeros.
    expect(new Set(fromBpf).size).toBeGreaterThan(100);
  });
});
