// netdrop's field tables: the key columns of its --by, packets, rate and bytes; dropped
// packets; and the device and softnet_stat side tables. One table per use, for every sink.
import type { Field } from '../model/fields.js';
import { textField } from '../model/latency-fields.js';
import { DEVICES_TITLE, SOFTNET_DROPS_TITLE, dimsOf, type NetdropBy, type NetdropDim, type NetdropEvent, type NetdropRow } from '../model/netdrop.js';
import type { SideRow } from '../model/latency.js';

const count = <R>(name: string, header: string, value: (r: R) => number | null | undefined, width = 9): Field<R> => ({ name, header, kind: 'count', align: 'right', width, value });

const DIM_FIELDS: Record<NetdropDim, Field<NetdropRow>[]> = {
  reason: [textField('reason', 'REASON', 22, (r) => r.reason)],
  location: [textField('location', 'LOCATION', 34, (r) => r.location)],
  pod: [textField('namespace', 'NAMESPACE', 12, (r) => r.namespace), textField('pod', 'POD', 24, (r) => r.pod)],
  proto: [textField('proto', 'PROTO', 7, (r) => r.proto)],
  netns: [textField('netns', 'NETNS', 11, (r) => r.netns)],
  dev: [textField('dev', 'DEV', 10, (r) => r.dev)],
};

/** Rates with one decimal: a drop every few seconds is still visible. */
const perSecond = (v: number | undefined) => (v === undefined ? undefined : Math.round(v * 10) / 10);

export function netdropFields(by: NetdropBy): Field<NetdropRow>[] {
  return [
    ...dimsOf(by).flatMap((d) => DIM_FIELDS[d]),
    count('packets', 'PACKETS', (r) => r.counts.packets, 10),
    count('rate', 'PKTS/S', (r) => perSecond(r.rates?.packets), 9),
    { name: 'bytes', header: 'BYTES', kind: 'bytes', align: 'right', width: 8, value: (r) => r.counts.bytes },
  ];
}

const endpoint = (addr: string | null, port: number | null) => (addr === null ? null : port === null ? addr : addr.includes(':') ? `[${addr}]:${port}` : `${addr}:${port}`);

export const netdropEventFields: Field<NetdropEvent>[] = [
  textField('reason', 'REASON', 18, (e) => e.reason),
  textField('proto', 'PROTO', 6, (e) => e.proto),
  textField('src', 'SRC', 22, (e) => endpoint(e.src, e.sport)),
  textField('dst', 'DST', 22, (e) => endpoint(e.dst, e.dport)),
  textField('flags', 'FLAGS', 6, (e) => e.tcp_flags ?? (e.icmp_type === null ? null : `${e.icmp_type}/${e.icmp_code}`)),
  count('len', 'LEN', (e) => e.len, 6),
  textField('dev', 'DEV', 8, (e) => e.dev),
  textField('netns', 'NETNS', 10, (e) => e.netns),
  textField('pod', 'POD', 20, (e) => e.pod),
  textField('location', 'LOCATION', 30, (e) => e.location),
];

/** The drill-down's events of a row: those matching every key the row has (a key --by left out matches all). */
export function netdropRowEvents(row: NetdropRow, e: NetdropEvent): boolean {
  // undefined: --by has no pod; null: the row is nobody's (its events have no pod either).
  const pod = row.pod === undefined ? undefined : row.pod === null ? null : row.namespace ? `${row.namespace}/${row.pod}` : row.pod;
  return (row.reason === undefined || row.reason === e.reason)
    && (row.location === undefined || row.location === e.location)
    && (pod === undefined || pod === e.pod)
    && (row.proto === undefined || row.proto === e.proto)
    && (row.netns === undefined || row.netns === e.netns)
    && (row.dev === undefined || row.dev === (e.dev ?? (e.ifindex ? `if${e.ifindex}` : '-')));
}

export const deviceDropFields: Field<SideRow>[] = [
  textField('dev', 'DEV', 12, (r) => r.dev),
  count('rx_dropped', 'RX-DROPPED', (r) => r.rx_dropped as number, 10),
  count('tx_dropped', 'TX-DROPPED', (r) => r.tx_dropped as number, 10),
];

export const softnetDropFields: Field<SideRow>[] = [
  textField('cpu', 'CPU', 5, (r) => r.cpu),
  count('dropped', 'DROPPED', (r) => r.dropped as number),
  count('time_squeeze', 'SQUEEZED', (r) => r.time_squeeze as number),
];

export const NETDROP_SIDE = {
  devices: { title: DEVICES_TITLE, fields: deviceDropFields },
  softnet: { title: SOFTNET_DROPS_TITLE, fields: softnetDropFields },
};

/** For report: netdrop captures re-print with the fields of their --by. */
export const netdropReportFields = {
  fields: (meta: Record<string, unknown>) => netdropFields(meta.by as NetdropBy) as unknown as Field<never>[],
  eventFields: netdropEventFields as unknown as Field<never>[],
  side: Object.fromEntries(Object.entries(NETDROP_SIDE).map(([n, t]) => [n, { title: t.title, fields: t.fields as unknown as Field<never>[] }])),
  sortBy: 'packets',
  countName: 'drops',
};
