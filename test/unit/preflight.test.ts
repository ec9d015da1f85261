import { describe, it, expect } from 'vitest';
import { checkPrivileges } from '../../src/bpf-loader/preflight.js';
import { HuatuoError, ExitCode } from '../../src/errors.js';

const bit = (n: number) => 1n << BigInt(n);

describe('checkPrivileges', () => {
  it('accepts CAP_SYS_ADMIN, or CAP_BPF with CAP_PERFMON', () => {
    expect(() => checkPrivileges(bit(21))).not.toThrow();
    expect(() => checkPrivileges(bit(39) | bit(38))).not.toThrow();
  });

  it('says exactly what is missing, with exit code 3', () => {
    for (const [caps, missing] of [[0n, 'CAP_BPF and CAP_PERFMON'], [bit(39), 'CAP_PERFMON'], [bit(38), 'CAP_BPF']] as const) {
      try {
        checkPrivileges(caps);
        expect.unreachable();
      } catch (e) {
        expect(e).toBeInstanceOf(HuatuoError);
        expect((e as HuatuoError).exitCode).toBe(ExitCode.Privileges);
        expect((e as Error).message).toBe(`needs root to load BPF programs (missing ${missing}): run it with sudo`);
      }
    }
  });
});
