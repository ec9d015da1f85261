// Durations as tables and summaries show them.

/** Format ns in a fixed unit for tables (µs by default, ms with -m). */
export function formatIn(ns: number, unit: 'us' | 'ms'): string {
  const v = unit === 'ms' ? ns / 1e6 : ns / 1e3;
  if (v === 0) return '0';
  if (v >= 100) return v.toFixed(0);
  if (v >= 10) return v.toFixed(1);
  return v.toFixed(2);
}

/** Format ns with the most readable unit ("4.2ms", "830us"). */
export function formatDuration(ns: number): string {
  if (ns >= 1e9) return `${(ns / 1e9).toFixed(2)}s`;
  if (ns >= 1e6) return `${(ns / 1e6).toFixed(ns >= 1e8 ? 0 : 1)}ms`;
  if (ns >= 1e3) return `${(ns / 1e3).toFixed(ns >= 1e5 ? 0 : 1)}us`;
  return `${Math.round(ns)}ns`;
}

/** Format bytes with a binary unit ("32.0M", "1.5G"), as free(1) -h does. */
export function formatBytes(n: number): string {
  const units = ['B', 'K', 'M', 'G', 'T', 'P'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${n}B` : `${v.toFixed(v >= 100 ? 0 : 1)}${units[u]}`;
}
