// Rows keyed by cgroup id, relabelled as pods or containers: how every tool offers
// --by pod|container. The kernel keys on the cgroup id; names are joined here.
import type { ContainerInfo, ContainerResolver } from './resolver.js';
import type { CgroupHier } from './cgroup.js';

export type ContainerKey = 'pod' | 'container';

export interface ContainerLabels {
  pod?: string;
  namespace?: string;
  container?: string;
  container_id?: string;
}

/** Tasks outside any container (the host's own processes, kernel threads). */
export const HOST_LABEL = '(host)';

/** The row key and labels of a cgroup id for --by pod or --by container. */
export function containerRowLabels(
  by: ContainerKey,
  resolver: ContainerResolver,
  hier: CgroupHier,
  cgroupId: number,
): { key: string } & ContainerLabels {
  // A label left undefined is not known: tables show "-", JSON null (output/fields.ts).
  const c: ContainerInfo | undefined = resolver.byCgroupId(hier, cgroupId);
  if (!c) return { key: HOST_LABEL, pod: HOST_LABEL, ...(by === 'container' ? { container: HOST_LABEL } : {}) };
  const { pod, namespace } = c;
  if (by === 'pod') {
    // A container outside Kubernetes is its own "pod" row, named after itself.
    return pod ? { key: `${namespace ?? '-'}/${pod}`, pod, namespace } : { key: `container:${c.id}`, pod: c.name ?? c.id.slice(0, 12) };
  }
  const name = c.type === 'sandbox' ? '(sandbox)' : c.name ?? c.id.slice(0, 12);
  return { key: c.id, pod, namespace, container: name, container_id: c.id.slice(0, 12) };
}

/** "namespace/pod" of a cgroup id (a container outside Kubernetes: its own name; host tasks: "(host)"), for event columns. */
export function podNameOf(resolver: ContainerResolver, hier: CgroupHier, cgroupId: number): string | null {
  const l = containerRowLabels('pod', resolver, hier, cgroupId);
  return l.namespace ? `${l.namespace}/${l.pod}` : l.pod ?? null;
}
