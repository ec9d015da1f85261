// huatuo's own cost over a window, as every record and capture carries it (measured by
// src/bpf-loader/overhead.ts; plain data here so that sinks need not import the loader).
export interface Overhead {
  /** Program runs in the window, all programs. */
  bpf_runs: number;
  /** Mean ns per program run; null when stats are unavailable. */
  bpf_ns_per_run: number | null;
  /** BPF time as % of one CPU. */
  bpf_cpu_pct: number | null;
  /** huatuo's own process (user+sys) as % of one CPU. */
  user_cpu_pct: number;
  rss_bytes: number;
  /** Per program: runs and ns per run. */
  programs: Record<string, { runs: number; ns_per_run: number | null }>;
}
