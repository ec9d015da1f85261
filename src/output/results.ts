// Where results (tables, NDJSON, summaries) are written: stdout, unless an output file
// is `-` (`-o -`, `--svg -`): then stdout carries only that file, and results go to stderr.
let claimedBy: string | undefined;

/** An output named `-` takes stdout for itself (checkOutputs calls this). */
export function claimStdout(flag: string): void {
  claimedBy = flag;
}

/** The flag whose output is stdout, if any (the live view cannot run then). */
export function stdoutClaimedBy(): string | undefined {
  return claimedBy;
}

export function results(): NodeJS.WriteStream {
  return claimedBy ? process.stderr : process.stdout;
}

/** For tests that run several commands in one process. */
export function resetResults(): void {
  claimedBy = undefined;
}
