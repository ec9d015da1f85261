// Integration and CLI tests run bin/huatuo from dist/: refuse to test old code. `npm test`
// builds first (pretest); a direct `npx vitest` after an edit of src/ stops here instead.
import { readdirSync, statSync, existsSync } from 'node:fs';
import { join } from 'node:path';

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
  if (stale.length) {
    throw new Error(`dist/ is older than ${stale.slice(0, 3).join(', ')}${stale.length > 3 ? ` and ${stale.length - 3} more` : ''}: run \`npm run build:fresh\` (npm test does it first)`);
  }
}
