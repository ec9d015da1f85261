// A real containerd for pod-aware tests: no Docker, no CRI, no images, no network.
// Each harness runs its own containerd on a private socket, root and state under
// /tmp/huatuo-ctrd-XXXX/, and starts "pods" with `ctr run --rootfs` on a busybox rootfs,
// in kubelet cgroupfs-driver style cgroups (/kubepods/burstable/pod<uid>/<id>) and with
// the annotations the CRI plugin would set. stop() kills and deletes everything, stops
// containerd and removes the cgroups it created, in every hierarchy.
//
// On this hybrid host (v1 controllers under /sys/fs/cgroup/<ctrl>, v2 at
// /sys/fs/cgroup/unified) runc (cgroupfs driver, no systemd) creates the container's
// cgroup at the same path in every v1 hierarchy (cpu, cpuacct, cpuset, memory, devices,
// freezer, blkio, pids, name=systemd) and in the unified tree.
//
// Nothing outlives a crashed run for long: every container's init is a busybox sh that
// runs the command under `timeout -s KILL <maxSeconds>`; when the command goes, the
// init exits and the kernel kills the rest of the container's pid namespace. The next
// start() also kills the containerd and shims of a harness whose test process died,
// and removes its cgroups.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import {
  mkdtempSync, mkdirSync, copyFileSync, symlinkSync, writeFileSync, readFileSync, readdirSync,
  existsSync, rmSync, rmdirSync, openSync, closeSync, chmodSync,
} from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bpfUnavailableReason, describeUnless } from './env.js';

const DIR_PREFIX = 'huatuo-ctrd-';
const ROOTFS_PREFIX = 'huatuo-bbroot-';
const BUSYBOX = '/bin/busybox';
/** containerd's namespace for Kubernetes (the CRI plugin's): huatuo looks for tasks there. */
export const K8S_NAMESPACE = 'k8s.io';
/** The comms of the workload processes busyWorkload() starts (busybox under other names). */
export const HOG_COMM = 'ht-hog';
export const SLEEPER_COMM = 'ht-sleeper';

export interface PodSpec {
  /** Pod name (io.kubernetes.cri.sandbox-name). */
  pod: string;
  /** Kubernetes namespace (io.kubernetes.cri.sandbox-namespace). */
  namespace: string;
  /** Pod uid (io.kubernetes.cri.sandbox-uid), also in the cgroup path. */
  uid: string;
  /** Container name (io.kubernetes.cri.container-name). */
  container: string;
  /** argv run inside the busybox rootfs (PATH=/bin), e.g. busyWorkload(). */
  cmd: string[];
  /** Container id; default: 64 random hex digits, as containerd ids under CRI. */
  id?: string;
  /** cgroup path; default /kubepods/burstable/pod<uid>/<id> (kubelet cgroupfs driver style). */
  cgroupPath?: string;
  /** CPU list (taskset -c syntax) to pin the command and all its children to. */
  cpus?: string;
  /** The command is SIGKILLed after this many seconds (default 60). */
  maxSeconds?: number;
  /** Extra OCI annotations. */
  annotations?: Record<string, string>;
  /** memory limit of the container's cgroup, bytes (ctr --memory-limit). */
  memoryLimit?: number;
}

export interface RunningPod {
  id: string;
  /** Host pid of the task's init (a busybox sh wrapping the command). */
  pid: number;
  /** cgroup path, the same in every hierarchy. */
  cgroupPath: string;
  spec: PodSpec;
}

/** Why containerd tests cannot run here, or null. */
export function containerdUnavailableReason(): string | null {
  if (process.getuid?.() !== 0) return 'not root';
  for (const bin of ['containerd', 'ctr', 'containerd-shim-runc-v2', 'runc']) {
    if (!which(bin)) return `${bin} not installed (run ./scripts/setup)`;
  }
  if (!existsSync(BUSYBOX)) return `${BUSYBOX} missing (busybox-static; run ./scripts/setup)`;
  if (cgroupMountRoots().length === 0) return 'no cgroup hierarchy mounted';
  return null;
}

/**
 * describe() for tests that need a real containerd (and, by default, root and BPF as
 * describeBpf): skip with the reason printed, or fail under CI=true.
 */
export function describeContainerd(name: string, fn: () => void, opts: { bpf?: boolean } = {}): void {
  describeUnless((opts.bpf !== false ? bpfUnavailableReason() : null) ?? containerdUnavailableReason(), name, fn);
}

/**
 * The workload: a CPU hog (comm ht-hog) and a sleeper waking every 1 ms (comm
 * ht-sleeper), both in one container; the container's sh waits for them. Both are
 * busybox sh, exec'd through symlinks named after the comm (argv[0] stays "sh" so that
 * busybox runs its sh applet). The sleeper sleeps in-process with `read -t 0.001` on
 * a fifo nobody writes (in the container's private /dev/shm): `usleep 1000` would
 * fork and exec a short-lived "usleep" process per iteration, and the sleep (the
 * wakeup a scheduler-latency tool measures) would be that process's, not ht-sleeper's.
 * Note: a plain CFS hog barely delays the sleeper under EEVDF; make the hog SCHED_FIFO
 * from the host (chrt -f -p 50 <pid>) for large run-queue latencies.
 */
export function busyWorkload(): string[] {
  return ['sh', '-c',
    `exec -a sh /bin/${HOG_COMM} -c 'while :; do :; done' & ` +
    `exec -a sh /bin/${SLEEPER_COMM} -c 'f=/dev/shm/ht-sleeper.fifo; mkfifo $f && exec 3<>$f && rm $f && ` +
    `while :; do read -t 0.001 x <&3; done' & wait`];
}

let rootfsDir: string | undefined;

/**
 * A busybox rootfs, built once per test run: bin/busybox (static) with applet links
 * (sh, sleep, usleep, taskset, timeout, …) and the workload comms, plus the mount points.
 */
export function busyboxRootfs(): string {
  if (rootfsDir && existsSync(join(rootfsDir, 'bin', 'busybox'))) return rootfsDir;
  const dir = mkdtempSync(join(tmpdir(), ROOTFS_PREFIX));
  writeOwner(dir);
  for (const d of ['bin', 'proc', 'sys', 'dev', 'tmp', 'etc', 'run']) mkdirSync(join(dir, d));
  chmodSync(join(dir, 'tmp'), 0o1777);
  copyFileSync(BUSYBOX, join(dir, 'bin', 'busybox'));
  chmodSync(join(dir, 'bin', 'busybox'), 0o755);
  for (const a of ['sh', 'sleep', 'usleep', 'taskset', 'timeout', 'mkfifo', 'rm', 'cat', 'ls', 'ps', 'kill', 'grep', 'true', HOG_COMM, SLEEPER_COMM]) {
    symlinkSync('busybox', join(dir, 'bin', a));
  }
  writeFileSync(join(dir, 'etc', 'passwd'), 'root:x:0:0:root:/:/bin/sh\n');
  writeFileSync(join(dir, 'etc', 'group'), 'root:x:0:\n');
  writeFileSync(join(dir, 'etc', 'hostname'), 'huatuo-test\n');
  rootfsDir = dir;
  return dir;
}

export function cleanupBusyboxRootfs(): void {
  if (rootfsDir) rmSync(rootfsDir, { recursive: true, force: true });
  rootfsDir = undefined;
}
process.once('exit', cleanupBusyboxRootfs);

/** Mark dir as this process's, for cleanupStale() in later runs. */
function writeOwner(dir: string): void {
  writeFileSync(join(dir, 'owner'), `${process.pid} ${procStartTime(process.pid)}\n`);
}

/** Whether dir belongs to a process that is gone (false when unknown: left alone). */
function ownerGone(dir: string): boolean {
  let owner: string[];
  try {
    owner = readFileSync(join(dir, 'owner'), 'utf8').trim().split(' ');
  } catch {
    return false;
  }
  const pid = Number(owner[0]);
  return !(pid && procStartTime(pid) === owner[1]);
}

export class ContainerdHarness {
  readonly address: string;
  readonly rootDir: string;
  /** containerd's state dir: tasks are in <stateDir>/io.containerd.runtime.v2.task/<ns>/<id>/. */
  readonly stateDir: string;
  private readonly runcRoot: string;
  private readonly pods = new Map<string, RunningPod>();
  /** cgroup dirs (absolute, every hierarchy) that did not exist before a runPod. */
  private readonly createdCgroups = new Set<string>();
  private proc: ChildProcess | undefined;
  private stopped: Promise<void> | undefined;

  private constructor(readonly dir: string) {
    this.address = join(dir, 'containerd.sock');
    this.rootDir = join(dir, 'root');
    this.stateDir = join(dir, 'state');
    this.runcRoot = join(dir, 'runc');
  }

  /** Start a private containerd and wait until it answers `ctr version`. */
  static async start(opts: { timeoutMs?: number } = {}): Promise<ContainerdHarness> {
    cleanupStale();
    const h = new ContainerdHarness(mkdtempSync(join(tmpdir(), DIR_PREFIX)));
    try {
      await h.boot(opts.timeoutMs ?? 10_000);
    } catch (e) {
      await h.stop();
      throw e;
    }
    return h;
  }

  /** The task directory (config.json, init.pid, …) of a container. */
  taskDir(id: string, ns = K8S_NAMESPACE): string {
    return join(this.stateDir, 'io.containerd.runtime.v2.task', ns, id);
  }

  /** The containerd process id. */
  get pid(): number | undefined {
    return this.proc?.pid;
  }

  private async boot(timeoutMs: number): Promise<void> {
    for (const d of [this.rootDir, this.stateDir, this.runcRoot]) mkdirSync(d, { mode: 0o711 });
    writeOwner(this.dir);
    const config = join(this.dir, 'config.toml');
    writeFileSync(config, [
      'version = 2',
      `root = ${JSON.stringify(this.rootDir)}`,
      `state = ${JSON.stringify(this.stateDir)}`,
      // No CRI (it would want CNI and images); no /opt/containerd; no unused snapshotters.
      'disabled_plugins = [',
      '  "io.containerd.grpc.v1.cri", "io.containerd.internal.v1.opt",',
      '  "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs",',
      '  "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs",',
      ']',
      '[grpc]',
      `  address = ${JSON.stringify(this.address)}`,
      '[ttrpc]',
      `  address = ${JSON.stringify(this.address + '.ttrpc')}`,
      '[debug]',
      `  address = ${JSON.stringify(join(this.dir, 'debug.sock'))}`,
      '',
    ].join('\n'));
    const log = openSync(join(this.dir, 'containerd.log'), 'a');
    try {
      this.proc = spawn('containerd', ['--config', config], { stdio: ['ignore', log, log] });
    } finally {
      closeSync(log);
    }
    const proc = this.proc;
    let spawnError: Error | undefined;
    proc.on('error', (e) => (spawnError = e));
    if (proc.pid) writeFileSync(join(this.dir, 'containerd.pid'), `${proc.pid}\n`);
    const end = Date.now() + timeoutMs;
    for (;;) {
      if (spawnError) throw new Error(`cannot start containerd: ${spawnError.message}`);
      if (proc.exitCode !== null || proc.signalCode !== null) {
        throw new Error(`containerd exited (${proc.exitCode ?? proc.signalCode}):\n${this.logTail()}`);
      }
      if (existsSync(this.address)) {
        const r = await run('ctr', ['--address', this.address, 'version'], 2000);
        if (r.code === 0 && /Server:/.test(r.stdout)) return;
      }
      if (Date.now() > end) throw new Error(`containerd did not answer within ${timeoutMs} ms:\n${this.logTail()}`);
      await sleep(50);
    }
  }

  logTail(lines = 30): string {
    try {
      return readFileSync(join(this.dir, 'containerd.log'), 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no containerd log)';
    }
  }

  /** Run ctr against this containerd; throws on failure. */
  async ctr(args: string[], opts: { ns?: string; timeoutMs?: number } = {}): Promise<string> {
    const full = ['--address', this.address, '-n', opts.ns ?? K8S_NAMESPACE, ...args];
    const r = await run('ctr', full, opts.timeoutMs ?? 15_000);
    if (r.code !== 0) throw new Error(`ctr ${full.join(' ')} failed (${r.code}): ${r.stderr.trim() || r.stdout.trim()}`);
    return r.stdout;
  }

  /** Start a pod's container (detached) and return its id, init pid and cgroup path. */
  async runPod(spec: PodSpec): Promise<RunningPod> {
    if (this.stopped) throw new Error('harness stopped');
    const id = spec.id ?? randomBytes(32).toString('hex');
    if (this.pods.has(id)) throw new Error(`container ${id} exists`);
    const cgroupPath = spec.cgroupPath ?? `/kubepods/burstable/pod${spec.uid}/${id}`;
    if (!cgroupPath.startsWith('/') || cgroupPath.split('/').includes('..')) throw new Error(`bad cgroup path ${cgroupPath}`);
    // Remember which cgroup dirs are new, in every hierarchy, to remove them in stop().
    const parts = cgroupPath.split('/').filter(Boolean);
    for (const root of cgroupMountRoots()) {
      for (let i = 1; i <= parts.length; i++) {
        const d = join(root, ...parts.slice(0, i));
        if (!existsSync(d)) this.createdCgroups.add(d);
      }
    }
    writeFileSync(join(this.dir, 'cgroups'), [...this.createdCgroups].join('\n') + '\n');

    const sandboxId = randomBytes(32).toString('hex');
    const annotations: Record<string, string> = {
      'io.kubernetes.cri.container-type': 'container',
      'io.kubernetes.cri.container-name': spec.container,
      'io.kubernetes.cri.sandbox-id': sandboxId,
      'io.kubernetes.cri.sandbox-name': spec.pod,
      'io.kubernetes.cri.sandbox-namespace': spec.namespace,
      'io.kubernetes.cri.sandbox-uid': spec.uid,
      ...spec.annotations,
    };
    const labels: Record<string, string> = {
      'io.kubernetes.pod.name': spec.pod,
      'io.kubernetes.pod.namespace': spec.namespace,
      'io.kubernetes.pod.uid': spec.uid,
      'io.kubernetes.container.name': spec.container,
    };
    // pid 1 is a sh waiting for the command under timeout: when the command ends or is
    // killed, pid 1 exits and the kernel kills whatever else is left in the container.
    // With cpus, taskset is outermost so that init, the timeout and the command are all pinned.
    const max = spec.maxSeconds ?? 60;
    const argv = [
      ...(spec.cpus !== undefined ? ['/bin/taskset', '-c', spec.cpus] : []),
      '/bin/sh', '-c', 'timeout -s KILL "$0" "$@"; exit $?', String(max), ...spec.cmd,
    ];
    const logFile = join(this.dir, `${id}.log`);
    this.pods.set(id, { id, pid: 0, cgroupPath, spec });
    await this.ctr([
      'run', '-d', '--rootfs', '--runc-root', this.runcRoot,
      '--log-uri', `file://${logFile}`,
      '--cgroup', cgroupPath, '--env', 'PATH=/bin',
      ...(spec.memoryLimit !== undefined ? ['--memory-limit', String(spec.memoryLimit)] : []),
      ...Object.entries(annotations).flatMap(([k, v]) => ['--annotation', `${k}=${v}`]),
      ...Object.entries(labels).flatMap(([k, v]) => ['--label', `${k}=${v}`]),
      busyboxRootfs(), id, ...argv,
    ]);
    const pid = (await this.tasks()).get(id)?.pid;
    if (!pid) throw new Error(`task ${id} has no pid after ctr run`);
    const pod: RunningPod = { id, pid, cgroupPath, spec };
    this.pods.set(id, pod);
    return pod;
  }

  /** The tasks containerd knows of in a namespace: id → pid and status. */
  async tasks(ns = K8S_NAMESPACE): Promise<Map<string, { pid: number; status: string }>> {
    const out = await this.ctr(['task', 'ls'], { ns });
    const tasks = new Map<string, { pid: number; status: string }>();
    for (const line of out.trim().split('\n').slice(1)) {
      const [id, pid, status] = line.trim().split(/\s+/);
      if (id) tasks.set(id, { pid: Number(pid), status });
    }
    return tasks;
  }

  /** Host pids of every process in a container (its cgroup), with their comm. */
  processes(id: string): Array<{ pid: number; comm: string }> {
    const pod = this.pods.get(id);
    if (!pod) throw new Error(`no container ${id}`);
    return cgroupProcs(pod.cgroupPath).map((pid) => ({ pid, comm: comm(pid) ?? '?' }))
      .filter((p) => p.comm !== '?');
  }

  /** Poll until the container has processes with all these comms; returns their pids by comm. */
  async waitForComms(id: string, comms: string[], timeoutMs = 5000): Promise<Map<string, number[]>> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const byComm = new Map<string, number[]>();
      for (const p of this.processes(id)) byComm.set(p.comm, [...(byComm.get(p.comm) ?? []), p.pid]);
      if (comms.every((c) => byComm.has(c))) return byComm;
      if (Date.now() > end) throw new Error(`container ${id}: no ${comms.filter((c) => !byComm.has(c)).join(', ')} after ${timeoutMs} ms (have ${[...byComm.keys()].join(', ')})`);
      await sleep(20);
    }
  }

  /** Kill and delete every container, stop containerd, remove our cgroups and temp dir. Idempotent. */
  stop(): Promise<void> {
    this.stopped ??= this.doStop();
    return this.stopped;
  }

  private async doStop(): Promise<void> {
    const errors: string[] = [];
    const alive = this.proc && this.proc.exitCode === null && this.proc.signalCode === null;
    if (alive) {
      for (const id of this.pods.keys()) {
        // task rm -f kills (SIGKILL) the init, which takes the pid namespace with it.
        try { await this.ctr(['task', 'rm', '-f', id], { timeoutMs: 10_000 }); } catch (e) {
          if (!/not found/.test(String(e))) errors.push(String(e));
        }
        try { await this.ctr(['container', 'rm', id], { timeoutMs: 10_000 }); } catch (e) {
          if (!/not found/.test(String(e))) errors.push(String(e));
        }
      }
      await terminate(this.proc!, 3000);
    }
    // Whatever is left (containerd gone before its tasks, a hung shim): kill by pid.
    killLeftovers(this.dir, this.pods.values());
    await waitGone(() => ourProcesses(this.dir).length === 0, 3000);
    if (!removeCgroups([...this.createdCgroups])) await sleep(100);
    const left = removeCgroups([...this.createdCgroups]);
    if (!left) errors.push(`cgroups left: ${[...this.createdCgroups].filter(existsSync).join(', ')}`);
    rmSync(this.dir, { recursive: true, force: true });
    this.pods.clear();
    if (errors.length) throw new Error(`containerd harness stop: ${errors.join('; ')}`);
  }
}

// --- processes, cgroups, leftovers -------------------------------------------------

/** Mount points of every cgroup hierarchy, v1 and v2. */
export function cgroupMountRoots(): string[] {
  const roots: string[] = [];
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const [left, right] = line.split(' - ');
    if (!right) continue;
    const fstype = right.split(' ')[0];
    if (fstype === 'cgroup' || fstype === 'cgroup2') roots.push(left.split(' ')[4]);
  }
  return [...new Set(roots)];
}

/** /proc/<pid>/cgroup as hierarchy (controllers, "" for v2) → path. */
export function procCgroups(pid: number): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of readFileSync(`/proc/${pid}/cgroup`, 'utf8').trim().split('\n')) {
    const i = line.indexOf(':');
    const j = line.indexOf(':', i + 1);
    m.set(line.slice(i + 1, j), line.slice(j + 1));
  }
  return m;
}

/** Pids in a cgroup, over all hierarchies where it exists. */
function cgroupProcs(cgroupPath: string): number[] {
  const pids = new Set<number>();
  for (const root of cgroupMountRoots()) {
    try {
      for (const l of readFileSync(join(root, cgroupPath, 'cgroup.procs'), 'utf8').split('\n')) if (l) pids.add(Number(l));
    } catch { /* not in this hierarchy */ }
  }
  return [...pids];
}

function comm(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** A live (not zombie) process? */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

function procStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** Live containerd and shim processes that belong to the harness in dir (by their command lines). */
export function ourProcesses(dir: string): number[] {
  const config = join(dir, 'config.toml');
  const address = join(dir, 'containerd.sock');
  const out: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${e}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    const isContainerd = argv[0]?.endsWith('containerd') && argv.includes(config);
    const isShim = argv[0]?.includes('containerd-shim') && argv.includes(address);
    if ((isContainerd || isShim) && isAlive(Number(e))) out.push(Number(e));
  }
  return out;
}

function killLeftovers(dir: string, pods: Iterable<{ cgroupPath: string }>): void {
  for (const pid of ourProcesses(dir)) kill(pid);
  for (const pod of pods) for (const pid of cgroupProcs(pod.cgroupPath)) kill(pid);
}

function kill(pid: number): void {
  try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
}

/** rmdir deepest first; true if none of them exists any more. */
function removeCgroups(dirs: string[]): boolean {
  const sorted = [...dirs].sort((a, b) => b.split('/').length - a.split('/').length);
  for (const d of sorted) {
    try { rmdirSync(d); } catch { /* gone, or still busy / not ours to empty */ }
  }
  return sorted.every((d) => !existsSync(d));
}

/** Clean up after harnesses whose test process died: kill their processes, remove cgroups. */
function cleanupStale(): void {
  let entries: string[];
  try {
    entries = readdirSync(tmpdir()).filter((e) => e.startsWith(DIR_PREFIX) || e.startsWith(ROOTFS_PREFIX));
  } catch {
    return;
  }
  for (const e of entries) {
    const dir = join(tmpdir(), e);
    // A dir of a live process (maybe another test run) or one without an owner is left alone.
    if (!ownerGone(dir)) continue;
    if (e.startsWith(ROOTFS_PREFIX)) {
      rmSync(dir, { recursive: true, force: true });
      continue;
    }
    const cgroups = existsSync(join(dir, 'cgroups'))
      ? readFileSync(join(dir, 'cgroups'), 'utf8').split('\n').filter(Boolean) : [];
    for (const pid of ourProcesses(dir)) kill(pid);
    // Container processes: the leaves' cgroup.procs (the deepest recorded dirs).
    for (const cg of cgroups) {
      try {
        for (const l of readFileSync(join(cg, 'cgroup.procs'), 'utf8').split('\n')) if (l) kill(Number(l));
      } catch { /* gone */ }
    }
    removeCgroups(cgroups);
    rmSync(dir, { recursive: true, force: true });
  }
}

async function terminate(p: ChildProcess, graceMs: number): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => p.once('exit', () => resolve()));
  p.kill('SIGTERM');
  const t = setTimeout(() => p.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(t);
}

async function waitGone(done: () => boolean, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!done() && Date.now() < end) await sleep(20);
}

function run(cmd: string, args: string[], timeoutMs: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: timeoutMs, killSignal: 'SIGKILL', encoding: 'utf8' }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
      resolve({ code, stdout, stderr: stderr || (err && code === null ? String(err.message) : '') });
    });
  });
}

function which(bin: string): string | undefined {
  for (const d of (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(':')) {
    if (d && existsSync(join(d, bin))) return join(d, bin);
  }
  return undefined;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
