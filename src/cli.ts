// The entry: commander wiring, and the only place that calls process.exit.
import { Command, CommanderError } from 'commander';
import { HuatuoError, ExitCode } from './errors.js';
import { closeAll } from './bpf-loader/lifetime.js';
import { TOOLS } from './tools/registry.js';

function fail(err: unknown): never {
  closeAll();
  if (err instanceof HuatuoError) {
    process.stderr.write(`huatuo: ${err.message}\n`);
    if (err.detail) process.stderr.write(err.detail.trimEnd() + '\n');
    process.exit(err.exitCode);
  }
  if (err instanceof CommanderError) {
    process.exit(err.exitCode === 0 ? 0 : ExitCode.Usage);
  }
  const e = err as Error;
  process.stderr.write(`huatuo: ${e?.message ?? String(err)}\n`);
  if (process.env.HUATUO_DEBUG) process.stderr.write(`${e?.stack}\n`);
  process.exit(ExitCode.Runtime);
}

export async function main(argv: string[]): Promise<void> {
  const program = new Command('huatuo')
    .description('one-shot, pod-aware kernel diagnostics (BPF)')
    .version(process.env.npm_package_version ?? '0.1.0')
    .showSuggestionAfterError(true)
    .configureOutput({
      // Usage errors: one line on stderr, exit 2.
      writeErr: (s) => process.stderr.write(s.startsWith('error:') ? `huatuo: ${s}` : s),
      outputError: (s, write) => write(s.split('\n').filter(Boolean)[0] + '\n'),
    });
  for (const t of TOOLS) program.addCommand(await t.command());
  // Subcommands inherit exitOverride and output settings.
  program.exitOverride();
  for (const c of program.commands) c.exitOverride().configureOutput({
    writeErr: (s) => process.stderr.write(s.startsWith('error:') ? `huatuo ${c.name()}: ${s}` : s),
    outputError: (s, write) => write(s.split('\n').filter(Boolean)[0] + '\n'),
  });
  await program.parseAsync(argv);
}

process.on('uncaughtException', fail);
process.on('unhandledRejection', fail);

main(process.argv).then(
  () => {
    closeAll();
    process.exit(ExitCode.Ok);
  },
  fail,
);
