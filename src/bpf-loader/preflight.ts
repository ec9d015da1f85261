// Checks before touching the kernel, each with the exact thing missing and how to fix it.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { HuatuoError, ExitCode } from '../errors.js';
import { logDebug } from '../log.js';

const CAP_SYS_ADMIN = 21;
const CAP_PERFMON = 38;
const CAP_BPF = 39;

export const VMLINUX_BTF = '/sys/kernel/btf/vmlinux';

/** Effective capabilities of this process, from /proc/self/status. */
export function effectiveCaps(): bigint {
  const m = /^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? BigInt('0x' + m[1]) : 0n;
}

function hasCap(caps: bigint, bit: number): boolean {
  return (caps & (1n << BigInt(bit))) !== 0n;
}

/** CAP_SYS_ADMIN (root), or CAP_BPF + CAP_PERFMON (5.8+); the caps default to this process's. */
export function checkPrivileges(caps: bigint = effectiveCaps()): void {
  if (hasCap(caps, CAP_SYS_ADMIN)) return;
  if (hasCap(caps, CAP_BPF) && hasCap(caps, CAP_PERFMON)) return;
  const missing = [!hasCap(caps, CAP_BPF) && 'CAP_BPF', !hasCap(caps, CAP_PERFMON) && 'CAP_PERFMON'].filter(Boolean).join(' and ');
  throw new HuatuoError(`needs root to load BPF programs (missing ${missing}): run it with sudo`, ExitCode.Privileges);
}

export function checkBtf(): void {
  if (!existsSync(VMLINUX_BTF)) {
    throw new HuatuoError(
      `this kernel has no BTF (${VMLINUX_BTF} is missing): huatuo needs a kernel built with CONFIG_DEBUG_INFO_BTF=y (Debian, Ubuntu, RHEL and Fedora kernels since 5.10 have it)`,
      ExitCode.Unsupported,
    );
  }
}

const TRACEFS_DIRS = ['/sys/kernel/tracing', '/sys/kernel/debug/tracing'];

/** Where tracefs is mounted, mounting it at /sys/kernel/tracing if we can; null if it cannot be had. */
export function ensureTracefs(): string | null {
  for (const d of TRACEFS_DIRS) {
    try {
      if (readdirSync(`${d}/events`).length > 0) return d;
    } catch {
      /* not there */
    }
  }
  try {
    execFileSync('mount', ['-t', 'tracefs', 'nodev', TRACEFS_DIRS[0]], { stdio: 'ignore' });
    logDebug(`mounted tracefs at ${TRACEFS_DIRS[0]}`);
    return TRACEFS_DIRS[0];
  } catch {
    return null;
  }
}

/** Tracepoint programs need tracefs (tp_btf and raw_tp do not). */
export function requireTracefs(): string {
  const d = ensureTracefs();
  if (!d) {
    throw new HuatuoError(
      'tracefs is not mounted and could not be mounted: run `mount -t tracefs nodev /sys/kernel/tracing`',
      ExitCode.Unsupported,
    );
  }
  return d;
}

/** The common preflight for every tool that loads BPF. */
export function preflight(): void {
  checkPrivileges();
  checkBtf();
}
