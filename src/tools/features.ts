// What this kernel supports, probed for real: each probe program of bpf/probe.bpf.c is
// loaded and attached on its own. Used by `huatuo check`.
import { existsSync } from 'node:fs';
import { BpfObject } from '../bpf-loader/object.js';
import { native } from '../bpf-loader/native.js';
import { checkPrivileges, ensureTracefs, VMLINUX_BTF } from '../bpf-loader/preflight.js';
import { schedInfoLive, kernelHasField, hasTpBtf } from '../bpf-loader/probe.js';
import { bpfObjectPath } from '../paths.js';

export const FEATURES = [
  'privileges', 'btf', 'tracefs', 'tp_btf', 'raw_tp', 'tracepoint', 'perf_event_cpu_clock', 'ringbuf',
  'fentry', 'kprobe', 'bpf_stats', 'sched_info', 'tp:sched_switch', 'tp:sched_wakeup', 'tp:sched_wakeup_new',
] as const;
export type Feature = (typeof FEATURES)[number];

export interface FeatureResult {
  ok: boolean;
  detail: string;
}

/** The libbpf call and errno of a failure, without our wrapping ("probe: loading … failed: ", "[object …]"). */
function errText(e: unknown): string {
  const m = ((e as Error).message ?? String(e)).split('\n')[0];
  return m.replace(/^.*? failed: /, '').replace(/ \[.*$/, '').replace(/ \([A-Z]+\)$/, '');
}

/** Load (and attach, unless attach is false) one probe program; ok or the reason it failed. */
function probeProgram(program: string, attach = true, perfFd?: number): FeatureResult {
  let obj: BpfObject | undefined;
  try {
    obj = BpfObject.open('probe');
    obj.selectPrograms([program]);
    obj.load();
    if (perfFd !== undefined) obj.attachPerfEvent(program, perfFd);
    else if (attach) obj.attach([program]);
    return { ok: true, detail: attach ? 'loads and attaches' : 'loads' };
  } catch (e) {
    return { ok: false, detail: errText(e) };
  } finally {
    obj?.close();
  }
}

function probePerfEvent(): FeatureResult {
  let fd = -1;
  try {
    fd = native().perfEventOpen({ type: 1 /* PERF_TYPE_SOFTWARE */, config: 0 /* CPU_CLOCK */, sampleFreq: 99, cpu: 0, pid: -1 });
  } catch (e) {
    return { ok: false, detail: `perf_event_open cpu-clock: ${errText(e)}` };
  }
  // On success the perf link owns the fd (and closes it with the object); on failure we do.
  const r = probeProgram('probe_perf_event', true, fd);
  if (!r.ok) native().closeFd(fd);
  return r;
}

function probeStats(): FeatureResult {
  try {
    native().closeFd(native().enableStats());
    return { ok: true, detail: 'BPF_ENABLE_STATS run-time statistics' };
  } catch (e) {
    return { ok: false, detail: errText(e) };
  }
}

export function probeFeatures(): Record<Feature, FeatureResult> {
  const r = {} as Record<Feature, FeatureResult>;
  const btf = existsSync(VMLINUX_BTF);
  r.btf = btf ? { ok: true, detail: VMLINUX_BTF } : { ok: false, detail: `${VMLINUX_BTF} missing: kernel built without CONFIG_DEBUG_INFO_BTF` };
  const tracefs = ensureTracefs();
  r.tracefs = tracefs ? { ok: true, detail: tracefs } : { ok: false, detail: 'not mounted: mount -t tracefs nodev /sys/kernel/tracing' };
  for (const tp of ['sched_switch', 'sched_wakeup', 'sched_wakeup_new'] as const) {
    const ok = (btf && hasTpBtf(tp)) || (!!tracefs && existsSync(`${tracefs}/events/sched/${tp}`));
    r[`tp:${tp}`] = { ok, detail: ok ? 'present' : 'absent from this kernel' };
  }
  const si = btf && schedInfoLive() && kernelHasField('cfs_rq', 'rq');
  r.sched_info = { ok: si, detail: si ? 'kept live: schedlat --method sched-info works' : 'not kept: only schedlat --method wakeup' };
  const notProbed = (why: string): FeatureResult => ({ ok: false, detail: why });
  try {
    checkPrivileges();
    r.privileges = { ok: true, detail: process.getuid?.() === 0 ? 'root' : 'CAP_BPF + CAP_PERFMON' };
  } catch (e) {
    r.privileges = { ok: false, detail: errText(e) };
  }
  if (!r.privileges.ok || !existsSync(bpfObjectPath('probe'))) {
    const why = r.privileges.ok ? 'not probed: run ./scripts/setup' : 'not probed: needs root';
    for (const f of ['tp_btf', 'raw_tp', 'tracepoint', 'perf_event_cpu_clock', 'ringbuf', 'fentry', 'kprobe', 'bpf_stats'] as const) r[f] = notProbed(why);
    return r;
  }
  r.tp_btf = btf ? probeProgram('probe_tp_btf') : notProbed('needs BTF');
  r.raw_tp = probeProgram('probe_raw_tp');
  r.tracepoint = tracefs ? probeProgram('probe_tracepoint') : notProbed('needs tracefs');
  r.perf_event_cpu_clock = probePerfEvent();
  r.ringbuf = probeProgram('probe_ringbuf_use', false);
  r.fentry = btf ? probeProgram('probe_fentry') : notProbed('needs BTF');
  r.kprobe = probeProgram('probe_kprobe');
  r.bpf_stats = probeStats();
  return r;
}

/** What each tool needs: every group must have one feature that works. */
export const TOOL_NEEDS: Record<string, Feature[][]> = {
  schedlat: [['privileges'], ['btf'], ['ringbuf'], ['tp_btf', 'raw_tp'], ['tp:sched_switch']],
  profile: [['privileges'], ['btf'], ['perf_event_cpu_clock']],
};

export function toolVerdicts(f: Record<Feature, FeatureResult>): Record<string, { ok: boolean; missing: string[] }> {
  const out: Record<string, { ok: boolean; missing: string[] }> = {};
  for (const [tool, groups] of Object.entries(TOOL_NEEDS)) {
    const missing = groups.filter((g) => !g.some((x) => f[x].ok)).map((g) => g.map((x) => `${x} (${f[x].detail})`).join(' or '));
    out[tool] = { ok: missing.length === 0, missing };
  }
  return out;
}
