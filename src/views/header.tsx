// Header of the live view: run facts, huatuo's own cost, and the keys.
import { Box, Text } from 'ink';
import type { LatencySnapshot } from '../model/latency.js';

/** "n/a" for missing figures. */
export function figure(v: number | null | undefined, fmt: (n: number) => string): string {
  return v === null || v === undefined || !Number.isFinite(v) ? 'n/a' : fmt(v);
}

/** 12.3s, 4m05s, 1h02m. */
export function elapsed(s: number): string {
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(Math.floor(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

interface HeaderProps {
  tool: string;
  snap: LatencySnapshot<unknown, unknown> | null;
  /** huatuo's cost over the last interval: the run's total would include start-up. */
  cost?: LatencySnapshot<unknown, unknown>['overhead'];
  status?: string;
  /** A counter tool's unit (drops): its rate is shown, and events over the limit as not sent (every one is counted). */
  countName?: string;
}

export function Header({ tool, snap, cost, status, countName }: HeaderProps) {
  if (!snap) {
    return (
      <Text wrap="truncate-end">
        <Text bold color="green">huatuo {tool}</Text>  <Text dimColor>{status ?? 'waiting for the first interval…'}</Text>
      </Text>
    );
  }
  const lost = snap.lost.ringbuf_full + snap.lost.rate_limited;
  const o = cost ?? snap.overhead;
  return (
    <Box flexDirection="column">
      <Text wrap="truncate-end">
        <Text bold color="green">huatuo {tool}</Text>
        {'  '}{elapsed(snap.elapsed_s)}
        {'  '}<Text bold>{Math.round(snap.events_per_s)}</Text> {countName ?? 'events'}/s
        {countName
          ? <Text dimColor>{'  '}events not sent {lost} (over the rate {snap.lost.rate_limited}, ring full {snap.lost.ringbuf_full})</Text>
          : <Text color={lost ? 'red' : undefined}>{'  '}lost {lost}</Text>}
        {lost && !countName ? <Text dimColor> (ringbuf full {snap.lost.ringbuf_full}, rate-limited {snap.lost.rate_limited})</Text> : null}
        {snap.lost.rows_full ? <Text color="red">{'  '}not counted {snap.lost.rows_full} (rows map full)</Text> : null}
        {status ? <Text color="yellow">{'  '}{status}</Text> : null}
      </Text>
      <Text dimColor wrap="truncate-end">
        cost: bpf {figure(o.bpf_ns_per_run, (n) => `${Math.round(n)} ns/run`)}
        {'  '}{figure(o.bpf_cpu_pct, (n) => `${n.toFixed(2)}%`)} cpu
        {'  '}huatuo {figure(o.user_cpu_pct, (n) => `${n.toFixed(1)}%`)} cpu
        {'  '}RSS {figure(o.rss_bytes, (n) => `${(n / 1048576).toFixed(1)} MB`)}
      </Text>
    </Box>
  );
}

/** `enter`: what ⏎ opens for the selected row (a histogram; a counter tool's events). */
export function KeyHelp({ histogram, keys, enter = 'histogram' }: { histogram: boolean; keys: boolean; enter?: string }) {
  const text = !keys
    ? 'Ctrl-C to stop (keys need stdin to be a terminal)'
    : histogram
    ? '↑↓ select  ⏎/esc back  s sort  i interval/total  q quit'
    : `↑↓ select  ⏎ ${enter}  s sort  i interval/total  q quit`;
  return <Text dimColor wrap="truncate-end">{text}</Text>;
}
