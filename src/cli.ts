// The entry: commander wiring, and the only place that calls process.exit.
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { HuatuoError, ExitCode } from './errors.js';
import { closeAll } from './bpf-loader/lifetime.js';
import { isVerbose } from './log.js';
import { REPEATABLE } from './options/repeatable.js';
import { TOOLS, toolNamed, type ToolDefinition } from './registry.js';

/** Exit once stdout and stderr are flushed: process.exit() drops what a pipe has not taken yet. */
function exit(code: number): void {
  let pending = 2;
  const done = () => {
    if (--pending === 0) process.exit(code);
  };
  process.stdout.write('', done);
  process.stderr.write('', done);
}

function fail(err: unknown): void {
  closeAll();
  if (err instanceof HuatuoError) {
    process.stderr.write(`huatuo: ${err.message}\n`);
    // One line is the rule; the detail (a libbpf message) only with -v, except a
    // verifier log's tail, without which a load failure cannot be understood.
    if (err.detail && (isVerbose() || err.exitCode === ExitCode.BpfLoad)) process.stderr.write(err.detail.trimEnd() + '\n');
    return exit(err.exitCode);
  }
  if (err instanceof InvalidArgumentError) {
    // Thrown from an action (commander prints the ones it throws while parsing itself).
    process.stderr.write(`huatuo: error: ${err.message}\n`);
    return exit(ExitCode.Usage);
  }
  if (err instanceof CommanderError) {
    return exit(err.exitCode === 0 ? 0 : ExitCode.Usage);
  }
  const e = err as Error;
  process.stderr.write(`huatuo: ${e?.message ?? String(err)}\n`);
  if (process.env.HUATUO_DEBUG) process.stderr.write(`${e?.stack}\n`);
  exit(ExitCode.Runtime);
}

/**
 * Usage errors: one line on stderr, prefixed with the command (exit 2 via exitOverride).
 * commander puts "(Did you mean …?)" on a line of its own: keep it on the one line.
 */
function oneLineErrors(prefix: string) {
  return {
    writeErr: (s: string) => process.stderr.write(s.startsWith('error:') ? `${prefix}: ${s}` : s),
    outputError: (s: string, write: (s: string) => void) => write(s.split('\n').map((l) => l.trim()).filter(Boolean).join(' ') + '\n'),
  };
}

/**
 * A single-value option given twice (`--pid 1 --pid 2`) is refused rather than silently
 * taking the last one. Options that take lists say so by being variadic.
 */
function refuseRepeats(cmd: Command): void {
  for (const opt of cmd.options) {
    if (!(opt.required || opt.optional) || opt.variadic || (opt as typeof opt & { [REPEATABLE]?: boolean })[REPEATABLE]) continue;
    const parse = opt.parseArg;
    let seen = false;
    opt.parseArg = <T>(value: string, previous: T): T => {
      if (seen) throw new InvalidArgumentError(`${opt.long ?? opt.short} was given more than once: give it once`);
      seen = true;
      return parse ? parse(value, previous) : (value as T);
    };
  }
}

/**
 * The subcommand argv asks for (`huatuo [global options] NAME …`, or `huatuo help NAME`),
 * if it is one of ours: only its module is imported.
 */
function requestedTool(argv: string[]): ToolDefinition | undefined {
  const args = argv.slice(2);
  const first = args.findIndex((a) => !a.startsWith('-'));
  if (first < 0) return undefined;
  const name = args[first] === 'help' ? args[first + 1] : args[first];
  return name === undefined ? undefined : toolNamed(name);
}

export async function main(argv: string[]): Promise<void> {
  const program = new Command('huatuo')
    .description('one-shot, pod-aware kernel diagnostics (BPF)')
    .version(process.env.npm_package_version ?? '0.1.0')
    .showSuggestionAfterError(true)
    .configureOutput(oneLineErrors('huatuo'));
  const wanted = requestedTool(argv);
  for (const t of TOOLS) {
    // The others stand in by name and summary, for the help and "did you mean".
    const cmd = t === wanted ? await t.command() : new Command(t.name);
    program.addCommand(cmd.description(t.summary));
  }
  // Subcommands inherit neither exitOverride nor the output settings.
  program.exitOverride();
  for (const c of program.commands) {
    c.exitOverride().configureOutput(oneLineErrors(`huatuo ${c.name()}`));
    refuseRepeats(c);
  }
  await program.parseAsync(argv);
}

// A closed pipe (`huatuo … --json | head -1`) ends the run quietly, as for any Unix filter.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code !== 'EPIPE') return fail(e);
  closeAll();
  process.exit(ExitCode.Ok);
});
process.on('uncaughtException', fail);
process.on('unhandledRejection', fail);

main(process.argv).then(
  () => {
    closeAll();
    exit(ExitCode.Ok);
  },
  fail,
);
