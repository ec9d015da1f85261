// huatuo containers: the pods and containers huatuo can see on this node, and their cgroup
// ids — what --pod resolves to. Reads files only (docs/containers.md): no BPF, no root
// needed where the files are readable.
import { Command, Option } from 'commander';
import type { Field } from '../model/fields.js';
import { plainTable } from '../output/plain.js';
import { writeNdjson } from '../output/ndjson.js';
import { results } from '../output/results.js';
import { cgroupHierarchyOption, checkHostRoot, examples, hostRootOption } from '../options/common.js';
import { setVerbose, logDebug } from '../log.js';
import { HuatuoError, ExitCode } from '../errors.js';
import { CgroupHier, HIER_BY_NAME, HIER_NAMES } from '../containers/cgroup.js';
import { ContainerResolver, type ContainerInfo, type PodSelector } from '../containers/resolver.js';

interface ContainersFlags {
  json?: boolean;
  hostRoot?: string;
  namespace?: string;
  pod?: string;
  container?: string;
  all?: boolean;
  wide?: boolean;
  cgroupHierarchy?: 'v2' | 'cpu' | 'memory';
  verbose?: boolean;
}

/** At most three pids, then how many more. */
function pidsCell(pids: number[]): string {
  if (!pids.length) return '-';
  return pids.length <= 3 ? pids.join(',') : `${pids.slice(0, 2).join(',')},+${pids.length - 2}`;
}

/** The columns, for the cgroup hierarchy shown (the one huatuo filters on). */
export function containerFields(hier: CgroupHier, wide: boolean): Field<ContainerInfo>[] {
  const cg = (c: ContainerInfo) => c.cgroups.find((g) => g.hier === hier);
  const text = (name: string, header: string, width: number, value: (c: ContainerInfo) => string | number | undefined): Field<ContainerInfo> => ({
    name, header, kind: 'text', align: 'left', width, value,
  });
  const fields: Field<ContainerInfo>[] = [
    text('pod', 'POD', 24, (c) => c.pod),
    text('namespace', 'NAMESPACE', 12, (c) => c.namespace),
    text('container', 'CONTAINER', 16, (c) => (c.type === 'sandbox' ? '(sandbox)' : c.name)),
    text('runtime', 'RUNTIME', 10, (c) => c.runtime),
    text('id', 'ID', 12, (c) => c.id.slice(0, 12)),
    text('qos', 'QOS', 10, (c) => c.qos),
    text('cgroup', 'CGROUP', 40, (c) => cg(c)?.path),
    { name: 'cgroup_id', header: 'CGROUP-ID', kind: 'count', align: 'right', width: 10, value: (c) => cg(c)?.id },
    text('pids', 'PIDS', 14, (c) => pidsCell(c.pids)),
  ];
  return wide ? fields : fields.filter((f) => f.name !== 'cgroup');
}

/** --json: one object per container, with every hierarchy's cgroup and all pids. */
export function containerJson(c: ContainerInfo): Record<string, unknown> {
  return {
    pod: c.pod ?? null,
    namespace: c.namespace ?? null,
    pod_uid: c.podUid ?? null,
    container: c.name ?? null,
    type: c.type ?? null,
    runtime: c.runtime,
    id: c.id,
    qos: c.qos ?? null,
    cgroups: c.cgroups.map((g) => ({ hier: HIER_NAMES[g.hier], path: g.path, id: g.id })),
    pids: c.pids,
  };
}

export function containersCommand(): Command {
  const cmd = new Command('containers')
    .description('the pods and containers on this node, with their cgroup ids (what --pod selects)')
    .option('--pod <glob>', 'only pods with this name (* and ? match any run / one character)')
    .option('-n, --namespace <ns>', 'only pods in this Kubernetes namespace')
    .option('--container <glob>', 'only containers with this name')
    .option('-a, --all', 'also list the pods\' sandbox (pause) containers')
    .option('--wide', 'add the CGROUP path column')
    .addOption(cgroupHierarchyOption('cgroup hierarchy of the CGROUP columns (default: the one huatuo filters on)'))
    .addOption(hostRootOption())
    .option('--json', 'NDJSON on stdout: one object per container')
    .option('-v, --verbose', 'what was read, on stderr');
  examples(cmd, [
    ['huatuo containers', 'every container on this node'],
    ['huatuo containers -n shop --pod "checkout-*"', 'the checkout pods in namespace shop'],
    ['huatuo containers --wide --cgroup-hierarchy v2', 'with cgroup v2 paths and ids'],
    ['HUATUO_HOST_ROOT=/host huatuo containers', "from a pod with the host's / at /host"],
    ['huatuo containers --json | jq -r ".cgroups[0].id"', 'cgroup ids for scripts'],
  ]);
  cmd.action((flags: ContainersFlags) => {
    setVerbose(!!flags.verbose);
    checkHostRoot(flags.hostRoot);
    const resolver = new ContainerResolver({ hostRoot: flags.hostRoot });
    if (!resolver.mounts.length) throw new HuatuoError(`no cgroup v2, cpu or memory hierarchy found under ${resolver.hostRoot || '/'}`, ExitCode.Unsupported);
    const sel: PodSelector = { pod: flags.pod, namespace: flags.namespace, container: flags.container };
    const filtered = sel.pod !== undefined || sel.namespace !== undefined || sel.container !== undefined;
    let rows: ContainerInfo[];
    try {
      rows = filtered ? resolver.select(sel) : resolver.list();
    } finally {
      resolver.explain(); // with -v, also when the selector matched nothing
    }
    if (!flags.all) rows = rows.filter((c) => c.type !== 'sandbox');
    logDebug(`${rows.length} container${rows.length === 1 ? '' : 's'} listed`);
    if (flags.json) {
      for (const c of rows) writeNdjson(containerJson(c));
      return;
    }
    const hier = flags.cgroupHierarchy ? HIER_BY_NAME[flags.cgroupHierarchy] : resolver.defaultHier();
    const fields = containerFields(hier, !!flags.wide);
    results().write(plainTable(fields, rows, 'us') + '\n');
    if (!rows.length) logDebug('no containers: check --host-root and $HUATUO_CONTAINERD_STATE');
  });
  return cmd;
}
