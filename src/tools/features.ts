// What this kernel supports, probed for real: each probe program of bpf/probe.bpf.c is
// loaded and attached on its own; tracepoints by name; a tool's own features by the
// probes its definition gives. Used by `huatuo check`; what each tool needs is in its
// definition (src/registry.ts).
import { existsSync, readdirSync } from 'node:fs';
import { BpfObject } from '../bpf-loader/object.js';
import { native } from '../bpf-loader/native.js';
import { checkPrivileges, ensureTracefs, VMLINUX_BTF } from '../bpf-loader/preflight.js';
import { hasTpBtf } from '../bpf-loader/probe.js';
import { bpfObjectPath } from '../paths.js';

/** What a probe finds. */
export interface FeatureResult {
  ok: boolean;
  detail: string;
}

/** What check needs of a tool's definition (src/registry.ts): its needs and its own probes. */
export interface ToolNeeds {
  name: string;
  /** Every group must have one feature that works: generic ones, `tp:NAME`, or the tool's own. */
  needs?: string[][];
  /** Features shown but not needed. */
  shows?: string[];
  probes?(): Promise<Record<string, () => FeatureResult>>;
}

/** What every kernel is probed for, whatever the tools. */
export const BASE_FEATURES = [
  'privileges', 'btf', 'tracefs', 'tp_btf', 'raw_tp', 'tracepoint', 'perf_event_cpu_clock', 'ringbuf',
  'fentry', 'kprobe', 'bpf_stats',
] as const;

/** Every feature check shows: the base ones, then each tool's needs and extras, in list order. */
export function allFeatures(tools: ToolNeeds[]): string[] {
  const out: string[] = [...BASE_FEATURES];
  for (const t of tools) for (const f of [...(t.needs ?? []).flat(), ...(t.shows ?? [])]) if (!out.includes(f)) out.push(f);
  return out;
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

export async function probeFeatures(tools: ToolNeeds[]): Promise<Record<string, FeatureResult>> {
  const r: Record<string, FeatureResult> = {};
  const btf = existsSync(VMLINUX_BTF);
  r.btf = btf ? { ok: true, detail: VMLINUX_BTF } : { ok: false, detail: `${VMLINUX_BTF} missing: kernel built without CONFIG_DEBUG_INFO_BTF` };
  const tracefs = ensureTracefs();
  r.tracefs = tracefs ? { ok: true, detail: tracefs } : { ok: false, detail: 'not mounted: mount -t tracefs nodev /sys/kernel/tracing' };
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
  } else {
    r.tp_btf = btf ? probeProgram('probe_tp_btf') : notProbed('needs BTF');
    r.raw_tp = probeProgram('probe_raw_tp');
    r.tracepoint = tracefs ? probeProgram('probe_tracepoint') : notProbed('needs tracefs');
    r.perf_event_cpu_clock = probePerfEvent();
    r.ringbuf = probeProgram('probe_ringbuf_use', false);
    r.fentry = btf ? probeProgram('probe_fentry') : notProbed('needs BTF');
    r.kprobe = probeProgram('probe_kprobe');
    r.bpf_stats = probeStats();
  }
  for (const t of tools) {
    const own = t.probes ? await t.probes() : {};
    for (const f of [...(t.needs ?? []).flat(), ...(t.shows ?? [])]) {
      if (r[f]) continue;
      if (f.startsWith('tp:')) r[f] = probeTracepoint(f.slice(3), btf, tracefs);
      else if (own[f]) r[f] = own[f]();
      else r[f] = notProbed(`no probe for ${f}`);
    }
  }
  return r;
}

/** A tracepoint exists: as a tp_btf target in the kernel's BTF, or in tracefs (any subsystem). */
function probeTracepoint(name: string, btf: boolean, tracefs: string | null): FeatureResult {
  let ok = btf && hasTpBtf(name);
  if (!ok && tracefs) {
    try {
      ok = readdirSync(`${tracefs}/events`).some((sys) => existsSync(`${tracefs}/events/${sys}/${name}`));
    } catch { /* no events directory */ }
  }
  return { ok, detail: ok ? 'present' : 'absent from this kernel' };
}

export function toolVerdicts(f: Record<string, FeatureResult>, tools: ToolNeeds[]): Record<string, { ok: boolean; missing: string[] }> {
  const out: Record<string, { ok: boolean; missing: string[] }> = {};
  for (const t of tools) {
    if (!t.needs) continue;
    const missing = t.needs.filter((g) => !g.some((x) => f[x]?.ok)).map((g) => g.map((x) => `${x} (${f[x]?.detail ?? 'not probed'})`).join(' or '));
    out[t.name] = { ok: missing.length === 0, missing };
  }
  return out;
}
