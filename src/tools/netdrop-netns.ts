// Whose a socketless drop is: network namespace inode → the pod that owns it, from the
// containers' tasks' /proc/PID/ns/net. The host's namespace belongs to no pod (host-network
// pods share it), and a namespace two pods claim is attributed to neither.
import { readlinkSync } from 'node:fs';
import type { ContainerInfo, ContainerResolver } from '../containers/resolver.js';

/** The inode of a /proc/PID/ns/net link ("net:[4026531840]"), or undefined. */
export function netnsInode(procRoot: string, pid: number | 'self'): number | undefined {
  try {
    const m = /^net:\[(\d+)\]$/.exec(readlinkSync(`${procRoot}/proc/${pid}/ns/net`));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined; // the task is gone
  }
}

export interface NetnsOwner {
  pod: string;
  namespace?: string;
}

/** netns inode → pod, refreshed on demand (at most once a second). */
export class NetnsPods {
  private owners = new Map<number, NetnsOwner | null>();
  private lastRead = 0;
  readonly hostNetns: number | undefined;

  constructor(private readonly resolver: () => ContainerResolver, private readonly hostRoot = resolver().hostRoot) {
    // init's namespace is the host's; where init's links are not readable (a sandbox), ours is (we run on the host network).
    this.hostNetns = netnsInode(this.hostRoot, 1) ?? netnsInode('', 'self');
  }

  /** The pods' namespaces now, for the kernel's netns filter: containers `of` (default all). */
  inodesOf(containers: ContainerInfo[]): number[] {
    const out = new Set<number>();
    for (const c of containers) {
      const n = this.containerNetns(c);
      if (n !== undefined && n !== this.hostNetns) out.add(n);
    }
    return [...out];
  }

  private containerNetns(c: ContainerInfo): number | undefined {
    for (const pid of c.pids.slice(0, 3)) {
      const n = netnsInode(this.hostRoot, pid);
      if (n !== undefined) return n;
    }
    return undefined;
  }

  refresh(): void {
    const owners = new Map<number, NetnsOwner | null>();
    for (const c of this.resolver().list()) {
      const n = this.containerNetns(c);
      if (n === undefined || n === this.hostNetns) continue;
      const owner: NetnsOwner = c.pod ? { pod: c.pod, namespace: c.namespace } : { pod: c.name ?? c.id.slice(0, 12) };
      const had = owners.get(n);
      // The containers of one pod share its sandbox's namespace; two pods do not.
      if (had === undefined) owners.set(n, owner);
      else if (had && (had.pod !== owner.pod || had.namespace !== owner.namespace)) owners.set(n, null);
    }
    this.owners = owners;
    this.lastRead = Date.now();
  }

  /** The pod owning a namespace; null for the host's, shared or unknown ones. */
  ownerOf(netns: number): NetnsOwner | null {
    if (netns === this.hostNetns || netns === 0) return null;
    // Re-read on an unknown namespace (at most once a second), and every 10 s anyway: inodes are reused.
    const age = Date.now() - this.lastRead;
    if ((!this.owners.has(netns) && age >= 1000) || age >= 10_000) this.refresh();
    return this.owners.get(netns) ?? null;
  }
}
