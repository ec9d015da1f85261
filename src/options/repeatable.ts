// Options that may be given more than once, collecting a list (`--on A --on B`): the CLI
// refuses repeats of every other option (src/cli.ts). Its own module: cli.ts imports it.
import { Option } from 'commander';

export const REPEATABLE = Symbol('repeatable');

export function repeatableOption(flags: string, description: string): Option {
  const o = new Option(flags, description).argParser((v: string, prev: string[] | undefined) => [...(prev ?? []), v]);
  (o as Option & { [REPEATABLE]?: boolean })[REPEATABLE] = true;
  return o;
}
