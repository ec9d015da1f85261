// Symbolization for `huatuo profile`: kernel, native user, JIT; see symbolizer.ts.
export { Symbolizer, type SymbolizerOptions, type SymbolizerStats, type StackAddresses } from './symbolizer.js';
export { reachesThreadEntry, BrokenStacks, THREAD_ENTRIES, BROKEN_STACK_HINT, type BrokenStackReport } from './broken-stacks.js';
export { unknownFrame, UNKNOWN, JIT_LABEL, unnamedJitRuntime } from './frames.js';
export { PERF_MAP_HOWTO, type JitRuntime } from './runtime.js';
