// A row's latency histogram as bcc's runqlat draws it: power-of-two buckets, each
// `low -> high unit : count |****  |`, bars scaled to the largest count.
import { Box, Text } from 'ink';
import { slotLow, type Histogram } from '../histogram/loglinear.js';
import type { DisplayUnit } from '../model/fields.js';
import { formatIn } from '../model/units.js';

const BAR = 32;

/**
 * Power-of-two buckets in ns, so that slots never straddle two of them: 0 holds [0, 1),
 * b holds [2^(b-1), 2^b). Bounds are shown in the display unit (1.02 -> 2.05 us).
 */
function bucketOf(ns: number): number {
  return ns < 1 ? 0 : Math.floor(Math.log2(ns)) + 1;
}

const bucketLow = (b: number) => (b === 0 ? 0 : 2 ** (b - 1));

/**
 * The histogram's lines, from its first to its last non-empty bucket, adjacent buckets
 * merged so there are at most `maxLines`.
 */
export function histogramLines(h: Histogram, unit: DisplayUnit, maxLines = 20): string[] {
  const counts = new Map<number, number>();
  h.slots.forEach((n, i) => {
    if (n) counts.set(bucketOf(slotLow(i)), (counts.get(bucketOf(slotLow(i))) ?? 0) + n);
  });
  if (!counts.size) return [];
  const first = Math.min(...counts.keys());
  const last = Math.max(...counts.keys());
  const per = Math.ceil((last - first + 1) / Math.max(1, maxLines));
  const groups: Array<{ low: string; high: string; count: number }> = [];
  for (let b = first; b <= last; b += per) {
    let count = 0;
    const end = Math.min(b + per, last + 1);
    for (let k = b; k < end; k++) count += counts.get(k) ?? 0;
    groups.push({ low: formatIn(bucketLow(b), unit), high: formatIn(bucketLow(end), unit), count });
  }
  const max = Math.max(...groups.map((g) => g.count));
  const lw = Math.max(...groups.map((g) => g.low.length));
  const hw = Math.max(...groups.map((g) => g.high.length));
  const cw = Math.max(5, ...groups.map((g) => String(g.count).length));
  return groups.map((g) => {
    const stars = g.count ? Math.max(1, Math.round((g.count / max) * BAR)) : 0;
    const range = `${g.low.padStart(lw)} -> ${g.high.padEnd(hw)} ${unit}`;
    return `${range} : ${String(g.count).padStart(cw)} |${'*'.repeat(stars).padEnd(BAR)}|`;
  });
}

interface Props {
  title: string;
  hist: Histogram | undefined;
  unit: DisplayUnit;
  maxLines: number;
}

export function HistogramBars({ title, hist, unit, maxLines }: Props) {
  const lines = hist ? histogramLines(hist, unit, maxLines) : [];
  return (
    <Box flexDirection="column">
      <Text bold wrap="truncate-end">{title}</Text>
      {lines.length ? (
        lines.map((l, i) => <Text key={i} wrap="truncate-end">{l}</Text>)
      ) : (
        <Text dimColor>(no samples in this window)</Text>
      )}
    </Box>
  );
}
