// The BPF session of any latency tool: open → rodata → filter maps → load → fill → ring
// buffer → attach, everything closed again if a step fails; then cumulative per-key
// histograms (a per-CPU hash of struct hist), slow events and their losses. A tool says
// which object and programs, its own rodata, and how a decoded key becomes a row.
import { BpfObject, type RodataValue } from '../bpf-loader/object.js';
import type { StructLayout, StructSpec } from '../bpf-loader/layout.js';
import { HIST_SLOTS } from '../histogram/loglinear.js';
import { hasValues, histOffsets, mergeRowsByKey, sumPerCpuHist, sumPerCpuU64 } from '../histogram/bpf-hist.js';
import type { CgroupMount } from '../containers/cgroup.js';
import type { KeyedValues, LatencyValues } from '../model/latency.js';
import { logDebug } from '../log.js';
import { applyTaskFilter, cgroupHierCode, fillCgroupFilter, sizeCgroupFilter, CgroupFilterRefresher, type TaskFilter } from './filter.js';

/** struct hist (bpf/hist.h) as TypeScript reads it. */
export const HIST_SPEC = { slots: `u64[${HIST_SLOTS}]`, count: 'u64', sum_ns: 'u64', max_ns: 'u64' } as const;

export interface LatencySessionSpec<K, R extends KeyedValues, E> {
  /** Object stem in build/bpf/ (also the tool's name in messages). */
  tool: string;
  /** The programs to load and attach (the tool chose tp_btf or raw_tp). */
  programs: readonly string[];
  filter: TaskFilter;
  /** The hierarchy cgroup ids are taken in when the filter does not say (--by cgroup/pod). */
  cgroupMount: CgroupMount | undefined;
  /** The tool's own settings, given once the object is open (enum codes come from its BTF). */
  rodata(obj: BpfObject): Record<string, RodataValue>;
  /** Key struct of the rows map, as TypeScript reads it. */
  key: { struct: string; spec: StructSpec };
  /**
   * The rows map and its value when it is not `hists` of struct hist: a struct whose
   * `hist` field is the main histogram, `hists` fields more histograms, `counts` u64s.
   */
  value?: { map: string; struct: string; spec: StructSpec; hist?: string; hists?: string[]; counts?: string[]; texts?: string[] };
  /**
   * A decoded key as a row's labels (rows sharing a key are merged); `mount` is the hierarchy
   * its cgroup ids are in. `raw` is the key's bytes (a u64 address needs them: a number holds 53 bits).
   */
  label(obj: BpfObject, mount: CgroupMount | undefined): (k: K, raw: Buffer) => Omit<R, keyof LatencyValues>;
  /** Slow events, when the tool sends any (--threshold): ring buffer map and struct. */
  /** `onEvent` sees each event as it arrives, with its raw bytes (u64 addresses need them: a number holds 53 bits). */
  events?: { map: string; struct: string; spec: StructSpec; onEvent?(e: E, raw: Buffer, layout: StructLayout<E>): void };
  /** Extra work between open and load (map sizes). */
  configure?(obj: BpfObject): void;
  /** Extra work between load and attach (a tool's own filter maps): nothing is counted before it. */
  afterLoad?(obj: BpfObject): void;
}

export class LatencySession<K, R extends KeyedValues, E> {
  private readonly keyLayout: StructLayout<K>;
  /** Decodes one per-CPU map value into the row's histograms and counts. */
  private readonly readValue: (value: Buffer) => LatencyValues;
  private readonly rowsMap: string;
  private readonly labelKey: (k: K, raw: Buffer) => Omit<R, keyof LatencyValues>;
  private readonly refresher: CgroupFilterRefresher;
  /** enum common_counter, read once from the BTF. */
  private readonly counterIndex: Record<'RINGBUF_FULL' | 'RATE_LIMITED' | 'ROWS_FULL' | 'MAX', number>;
  private pending: E[] = [];

  private constructor(readonly spec: LatencySessionSpec<K, R, E>, readonly obj: BpfObject, readonly cgroupMount: CgroupMount | undefined) {
    this.keyLayout = obj.struct<K>(spec.key.struct).expectSpec(spec.key.spec);
    const v = spec.value;
    // A counter tool's object has no struct hist: read its layout only where there are histograms.
    const hist = !v || v.hist !== undefined || v.hists?.length ? histOffsets(obj.struct('hist').expectSpec(HIST_SPEC)) : undefined!;
    this.rowsMap = v?.map ?? 'hists';
    if (!v) {
      this.readValue = (value) => ({ hist: sumPerCpuHist(value, hist) });
    } else {
      const layout = obj.struct(v.struct).expectSpec(v.spec);
      const at = (f: string) => layout.field(f).offset;
      const main = v.hist === undefined ? undefined : at(v.hist);
      const hists = (v.hists ?? []).map((f) => [f, at(f)] as const);
      const counts = (v.counts ?? []).map((f) => [f, at(f)] as const);
      const texts = (v.texts ?? []).map((f) => [f, layout.fieldReader(f)] as const);
      const stride = Math.ceil(layout.size / 8) * 8;
      // A text is the same on every CPU that set it: the first one found.
      const text = (value: Buffer, read: (b: Buffer, at: number) => unknown): string => {
        for (let base = 0; base + layout.size <= value.length; base += stride) {
          const s = String(read(value, base));
          if (s) return s;
        }
        return '';
      };
      this.readValue = (value) => ({
        ...(main === undefined ? {} : { hist: sumPerCpuHist(value, hist, main, layout.size) }),
        ...(hists.length ? { hists: Object.fromEntries(hists.map(([f, o]) => [f, sumPerCpuHist(value, hist, o, layout.size)])) } : {}),
        ...(counts.length ? { counts: Object.fromEntries(counts.map(([f, o]) => [f, sumPerCpuU64(value, o, layout.size)])) } : {}),
        ...(texts.length ? { texts: Object.fromEntries(texts.map(([f, read]) => [f, text(value, read)])) } : {}),
      });
    }
    this.labelKey = spec.label(obj, cgroupMount);
    this.refresher = new CgroupFilterRefresher(obj, spec.filter);
    this.counterIndex = obj.enumValues('common_counter', 'COUNTER_', ['RINGBUF_FULL', 'RATE_LIMITED', 'ROWS_FULL', 'MAX']);
  }

  static start<K, R extends KeyedValues, E>(spec: LatencySessionSpec<K, R, E>): LatencySession<K, R, E> {
    const mount = spec.filter.cgroups?.mount ?? spec.cgroupMount;
    const obj = BpfObject.open(spec.tool);
    try {
      obj.selectPrograms([...spec.programs]);
      obj.setRodata({ targ_cgroup_hier: cgroupHierCode(obj, mount), ...spec.rodata(obj) });
      applyTaskFilter(obj, spec.filter);
      sizeCgroupFilter(obj, spec.filter);
      spec.configure?.(obj);
      obj.load();
      fillCgroupFilter(obj, spec.filter);
      spec.afterLoad?.(obj);
      const s = new LatencySession(spec, obj, mount);
      if (spec.events) {
        const layout = obj.struct<E>(spec.events.struct).expectSpec(spec.events.spec);
        const onEvent = spec.events.onEvent;
        obj.ringBuffer(spec.events.map, layout, (e, raw) => {
          onEvent?.(e, raw, layout);
          s.pending.push(e);
        });
      }
      obj.attach([...spec.programs]);
      // performance.now() counts from process start: the bench reads this line for time-to-attach.
      logDebug(`${spec.tool}: attached ${Math.round(performance.now())} ms after start (${spec.programs.join(', ')})`);
      return s;
    } catch (e) {
      obj.close();
      throw e;
    }
  }

  /** Cumulative histograms per key since attach (also: pods gain new containers here). */
  readHistograms(): R[] {
    this.refresher.refresh();
    const rows: R[] = [];
    for (const { key, value } of this.obj.mapEntries(this.rowsMap)) {
      const v = this.readValue(value);
      // An array map holds every index: those never written are no rows.
      if (!hasValues(v)) continue;
      rows.push({ ...this.labelKey(this.keyLayout.decode(key), key), ...v } as R);
    }
    return mergeRowsByKey(rows);
  }

  /** Slow events received since the last call. */
  takeEvents(): E[] {
    const e = this.pending;
    this.pending = [];
    return e;
  }

  /**
   * Since start: events that could not be sent (ring buffer full, over the rate limit), and
   * values not counted at all because the rows map was full (`rows_full`).
   */
  lost(): { ringbuf_full: number; rate_limited: number; rows_full: number } {
    const c = this.counterIndex;
    const counts = this.obj.perCpuCounters('counters', c.MAX);
    return { ringbuf_full: counts[c.RINGBUF_FULL], rate_limited: counts[c.RATE_LIMITED], rows_full: counts[c.ROWS_FULL] };
  }

  close(): void {
    this.obj.close();
  }
}
