// Exit codes live here and only the entry (src/cli.ts) calls process.exit.
export const ExitCode = {
  Ok: 0,
  Runtime: 1,
  Usage: 2,
  Privileges: 3,
  Unsupported: 4,
  BpfLoad: 5,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** An error the user should see as one line, carrying the process exit code. */
export class HuatuoError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode = ExitCode.Runtime,
    /** Extra detail shown with --verbose (e.g. a verifier log). */
    readonly detail?: string,
  ) {
    super(message);
    this.name = 'HuatuoError';
  }
}

export function usageError(message: string): HuatuoError {
  return new HuatuoError(message, ExitCode.Usage);
}
