// Kernel PSI triggers (Documentation/accounting/psi.rst): a `some|full STALL WINDOW` line
// written to /proc/pressure/RESOURCE arms one; the kernel then raises POLLPRI on that fd
// whenever STALL µs of stall accumulate within a WINDOW µs window (at most once a window).
// autotrace waits for it on the event loop (the addon's watchPriority): no polling, and a
// spike between two signal reads is not missed. Without CAP_SYS_RESOURCE, kernels since 6.4
// take triggers whose window is a multiple of 2 s only.
import { closeSync, constants, openSync, writeSync } from 'node:fs';
import { native } from '../bpf-loader/native.js';
import { HuatuoError, ExitCode } from '../errors.js';
import { logWarn } from '../log.js';
import type { Rule } from './rules.js';
import { cgroupDir, type CgroupMount } from '../containers/cgroup.js';

const UV_PRIORITIZED = 8;
const UV_DISCONNECT = 4;

export class PsiTriggers {
  private readonly armed: Array<{ fd: number; watch: { close(): void } | null; rule: Rule }> = [];

  /**
   * Arm every PSI rule, or throw (exit 4 no PSI, 3 not allowed, 2 refused) having armed none.
   * `v2`: the cgroup v2 tree, for rules on a cgroup's own pressure.
   */
  constructor(rules: readonly Rule[], hostRoot: string, onFire: (rule: Rule) => void, v2?: CgroupMount) {
    try {
      for (const rule of rules) {
        if (!rule.psi) continue;
        const { resource, kind, stallUs, windowUs, cgroup } = rule.psi;
        if (cgroup !== undefined && !v2) throw new HuatuoError(`--on '${rule.text}': no cgroup v2 tree is mounted here`, ExitCode.Unsupported);
        const path = cgroup !== undefined ? `${cgroupDir(v2!, cgroup)}/${resource}.pressure` : `${hostRoot}/proc/pressure/${resource}`;
        const armed = armTrigger(path, `${kind} ${Math.round(stallUs)} ${Math.round(windowUs)}`);
        if ('step' in armed) {
          const { step, code } = armed;
          if (step === 'open') {
            throw new HuatuoError(`--on '${rule.text}': ${path} ${code === 'ENOENT' ? (cgroup !== undefined ? 'is absent (no such cgroup, or no PSI for it)' : 'is absent: this kernel has no PSI for ' + resource) : `cannot be opened (${code})`}`, code === 'ENOENT' ? ExitCode.Unsupported : ExitCode.Runtime);
          }
          if (code === 'EPERM' || code === 'EACCES') {
            throw new HuatuoError(`--on '${rule.text}': the kernel refused the trigger (${code}): without CAP_SYS_RESOURCE it takes windows that are multiples of 2 s (kernels since 6.4)`, ExitCode.Privileges);
          }
          if (code === 'EINVAL' && windowUs % 2_000_000 !== 0) {
            throw new HuatuoError(`--on '${rule.text}': the kernel refused a ${windowUs / 1e6} s window: without CAP_SYS_RESOURCE, kernels since 6.4 take only windows that are multiples of 2 s`, ExitCode.Privileges);
          }
          if (code === 'EOPNOTSUPP') throw new HuatuoError(`--on '${rule.text}': PSI is off in this kernel (boot with psi=1)`, ExitCode.Unsupported);
          throw new HuatuoError(`--on '${rule.text}': the kernel refused the trigger "${kind} ${stallUs} ${windowUs}" (${code})`, ExitCode.Usage);
        }
        const entry = { fd: armed.fd, watch: null as { close(): void } | null, rule };
        this.armed.push(entry);
        entry.watch = native().watchPriority(entry.fd, (status, events) => {
          if (status < 0 || events & UV_DISCONNECT) {
            logWarn(`autotrace: the PSI trigger of '${rule.text}' stopped (${status < 0 ? `error ${status}` : 'the file went away'})`);
            this.disarm(entry);
          } else if (events & UV_PRIORITIZED) onFire(rule);
        });
      }
    } catch (e) {
      this.close();
      throw e;
    }
  }

  private disarm(entry: { fd: number; watch: { close(): void } | null }): void {
    entry.watch?.close();
    entry.watch = null;
    if (entry.fd >= 0) closeSync(entry.fd);
    entry.fd = -1;
  }

  /** Stop watching and close the files (the kernel drops the triggers); idempotent. */
  close(): void {
    for (const e of this.armed) this.disarm(e);
  }
}

/**
 * For `huatuo check`: can this process arm PSI triggers, and with which windows? Tries a
 * 2 s window (any kernel with PSI) and a 1 s one (refused without CAP_SYS_RESOURCE on 6.4+).
 */
export function probePsiTriggers(hostRoot = ''): { ok: boolean; detail: string } {
  const path = `${hostRoot}/proc/pressure/cpu`;
  const attempt = (windowUs: number): string | null => {
    const armed = armTrigger(path, `some 100000 ${windowUs}`);
    if ('step' in armed) return armed.code;
    closeSync(armed.fd); // the kernel drops the trigger
    return null;
  };
  const two = attempt(2_000_000);
  if (two) return { ok: false, detail: two === 'ENOENT' ? `${path} is absent (no PSI)` : `a trigger on ${path} was refused (${two})` };
  const one = attempt(1_000_000);
  return { ok: true, detail: one ? `windows that are multiples of 2 s only (a 1 s one: ${one}; no CAP_SYS_RESOURCE)` : 'any window from 500 ms to 10 s' };
}

/**
 * Open a pressure file and write a trigger line to it: the fd that now carries the trigger,
 * or the step that failed and its errno code (the fd closed again).
 */
function armTrigger(path: string, line: string): { fd: number } | { step: 'open' | 'write'; code: string } {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDWR | constants.O_NONBLOCK);
  } catch (e) {
    return { step: 'open', code: (e as NodeJS.ErrnoException).code ?? String(e) };
  }
  try {
    // NUL-terminated: the kernel overwrites the buffer's last byte with one.
    writeSync(fd, `${line}\0`);
    return { fd };
  } catch (e) {
    closeSync(fd);
    return { step: 'write', code: (e as NodeJS.ErrnoException).code ?? String(e) };
  }
}
