// stderr is for logs; stdout is for results. Debug lines only with -v/--verbose.
let verbose = false;

export function setVerbose(on: boolean): void {
  verbose = on;
}

export function isVerbose(): boolean {
  return verbose;
}

export function logDebug(msg: string): void {
  if (verbose) process.stderr.write(`huatuo: ${msg}\n`);
}

export function logWarn(msg: string): void {
  process.stderr.write(`huatuo: warning: ${msg}\n`);
}
