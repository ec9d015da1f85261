// Whether BPF integration tests can run here. Without root or BTF they skip with the
// reason printed, except under CI=true, where a skip is a failure.
import { existsSync } from 'node:fs';
import { describe, it } from 'vitest';
import { packagePath } from '../../src/paths.js';

export function bpfUnavailableReason(): string | null {
  if (process.getuid?.() !== 0) return 'not root';
  if (!existsSync('/sys/kernel/btf/vmlinux')) return 'no /sys/kernel/btf/vmlinux';
  if (!existsSync(packagePath('native', 'build', 'Release', 'huatuo_native.node'))) return 'native addon not built (run ./scripts/setup)';
  if (!existsSync(packagePath('build', 'bpf', 'schedlat.bpf.o'))) return 'BPF objects not built (run ./scripts/setup)';
  if (!existsSync(packagePath('dist', 'cli.js'))) return 'CLI not built (run ./scripts/setup)';
  return null;
}

/**
 * The skip-or-fail rule: with no reason, define the block (or test); with one, skip it with
 * the reason printed, except under CI=true, where the missing thing is a failure.
 */
function unless(reason: string | null, name: string, define: (name: string, fn: () => void) => void, skip: (name: string, fn: () => void) => void, fn: () => void): void {
  if (!reason) return define(name, fn);
  if (process.env.CI === 'true') {
    return define(name, () => {
      throw new Error(`"${name}" cannot run under CI: ${reason}`);
    });
  }
  console.warn(`skipping "${name}": ${reason}`);
  skip(name, fn);
}

/** describe() for tests that need something this machine may lack (the rule above). */
export function describeUnless(reason: string | null, name: string, fn: () => void): void {
  unless(reason, name, (n, f) => describe(n, f), (n, f) => describe.skip(n, f), fn);
}

/** describe() for tests that need root and BPF. */
export function describeBpf(name: string, fn: () => void): void {
  describeUnless(bpfUnavailableReason(), name, fn);
}

/**
 * it() for one test that needs what the rest of its file does not (BPF in a file of
 * containerd tests): the same rule, test by test, so a missing prerequisite takes down
 * only the tests that need it.
 */
export function itUnless(reason: string | null, name: string, fn: () => Promise<void> | void, timeout?: number): void {
  unless(reason, name, (n, f) => it(n, f, timeout), (n, f) => it.skip(n, f), fn as () => void);
}

/** it() for a test that needs root and BPF. */
export function itBpf(name: string, fn: () => Promise<void> | void, timeout?: number): void {
  itUnless(bpfUnavailableReason(), name, fn, timeout);
}
