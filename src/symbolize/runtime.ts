// Which JIT runtime a process runs, told from its executable and its libraries: it names
// JIT frames that no perf map names (`[JIT] node`) and picks the hint that would name them.
import { basename } from 'node:path';

export type JitRuntime = 'node' | 'deno' | 'java' | 'python' | 'dotnet';

/** What makes each runtime write /tmp/perf-PID.map, for the hint ({them}: them or it). */
export const PERF_MAP_HOWTO: Record<JitRuntime | '', string> = {
  node: 'start {them} with --perf-basic-prof to name JavaScript frames',
  deno: 'start {them} with --v8-flags=--perf-basic-prof to name JavaScript frames',
  java: 'run {them} with -XX:+PreserveFramePointer and write a perf map (jcmd PID Compiler.perfmap, JDK 17+) to name Java frames',
  python: 'run {them} with -X perf (Python 3.12+) to name Python frames',
  dotnet: 'set DOTNET_PerfMapEnabled=1 for {them} to name .NET frames',
  '': 'have {them} write /tmp/perf-PID.map to name those frames',
};

// Libraries first: an embedding (libnode, libjvm under any launcher) says more than the exe's name.
const BY_LIBRARY: Array<[RegExp, JitRuntime]> = [
  [/^libnode\.so/, 'node'],
  [/^libjvm\.so$/, 'java'],
  [/^libcoreclr\.so$/, 'dotnet'],
  [/^libpython3\.\d+\.so/, 'python'],
];
const BY_EXE: Array<[RegExp, JitRuntime]> = [
  [/^(node|nodejs)$/, 'node'],
  [/^deno$/, 'deno'],
  [/^java$/, 'java'],
  [/^dotnet$/, 'dotnet'],
  [/^python3(\.\d+)?$/, 'python'],
];

/** The runtime of a process with this executable path and these mapped modules (basenames), if one. */
export function jitRuntimeOf(exe: string | undefined, modules: Iterable<string>): JitRuntime | undefined {
  for (const m of modules) for (const [re, rt] of BY_LIBRARY) if (re.test(m)) return rt;
  const name = exe ? basename(exe.replace(/ \(deleted\)$/, '')) : '';
  for (const [re, rt] of BY_EXE) if (re.test(name)) return rt;
  return undefined;
}
