// Integration and CLI tests run bin/huatuo from dist/: never test old code. `npm test`
// builds first (pretest); a direct `npx vitest` after an edit of src/ rebuilds here.
import { readdirSync, statSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

function staleSources(srcDir: string, distDir: string): string[] {
  const stale: string[] = [];
  for (const e of readdirSync(srcDir, { withFileTypes: true })) {
    const src = join(srcDir, e.name);
    if (e.isDirectory()) {
      stale.push(...staleSources(src, join(distDir, e.name)));
    } else if (/\.tsx?$/.test(e.name) && !e.name.endsWith('.d.ts')) {
      const out = join(distDir, e.name.replace(/\.tsx?$/, '.js'));
      if (!existsSync(out) || statSync(out).mtimeMs < statSync(src).mtimeMs) stale.push(src);
    }
  }
  return stale;
}

export default function setup(): void {
  if (!existsSync('dist')) return; // nothing built: the tests that need it say so themselves
  const stale = staleSources('src', 'dist');
  if (!stale.length) return;
  process.stderr.write(`dist/ is older than ${stale.slice(0, 3).join(', ')}${stale.length > 3 ? ` and ${stale.length - 3} more` : ''}: rebuilding\n`);
  const r = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json'], { encoding: 'utf8' });
  // tsc emits despite type errors (setup and npm test's pretest fail on them): say so, go on.
  if (r.status !== 0) process.stderr.write(`tsc reported errors (the code was emitted anyway):\n${r.stdout}${r.stderr}`);
}
