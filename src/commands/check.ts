// huatuo check: what this kernel supports, for each tool. Exit 0 if every tool can run.
import { Command } from 'commander';
import { probeFeatures, toolVerdicts, allFeatures } from '../tools/features.js';
import { HuatuoError, ExitCode } from '../errors.js';
import { plainTable } from '../output/plain.js';
import { textField } from '../model/latency-fields.js';
import { writeNdjson } from '../output/ndjson.js';
import { examples } from '../options/common.js';
import { release } from 'node:os';
import { setVerbose } from '../log.js';
import type { ToolNeeds } from '../tools/features.js';
import { results } from '../output/results.js';

/** `tools`: the tool list (src/registry.ts hands itself in: commands do not import it). */
export function checkCommand(list: ToolNeeds[]): Command {
  const cmd = new Command('check')
    .option('--json', 'one JSON object on stdout')
    .option('-v, --verbose', 'debug messages and libbpf output on stderr');
  examples(cmd, [
    ['huatuo check', 'table of features and tools'],
    ['huatuo check --json | jq .tools', 'for scripts'],
  ]);
  cmd.action(async (flags: { json?: boolean; verbose?: boolean }) => {
    setVerbose(!!flags.verbose);
    const features = await probeFeatures(list);
    const tools = toolVerdicts(features, list);
    if (flags.json) {
      writeNdjson({ kernel: release(), features, tools });
    } else {
      const frows = allFeatures(list).map((name) => ({ name, ...features[name] }));
      results().write(`kernel ${release()}\n\n`);
      type FRow = (typeof frows)[number];
      results().write(plainTable<FRow>([
        textField('feature', 'FEATURE', 22, (r) => r.name),
        textField('ok', 'OK', 4, (r) => (r.ok ? 'yes' : 'no')),
        textField('detail', 'DETAIL', 50, (r) => r.detail.slice(0, 52)),
      ], frows, 'us') + '\n\n');
      const trows = Object.entries(tools).map(([name, v]) => ({ name, ...v }));
      type TRow = (typeof trows)[number];
      results().write(plainTable<TRow>([
        textField('tool', 'TOOL', 10, (r) => r.name),
        textField('ok', 'CAN RUN', 7, (r) => (r.ok ? 'yes' : 'no')),
        textField('why', 'MISSING', 60, (r) => r.missing.join('; ') || '-'),
      ], trows, 'us') + '\n');
    }
    const cannot = Object.entries(tools).filter(([, v]) => !v.ok).map(([k]) => k);
    if (cannot.length) throw new HuatuoError(`cannot run: ${cannot.join(', ')}`, ExitCode.Runtime);
  });
  return cmd;
}
