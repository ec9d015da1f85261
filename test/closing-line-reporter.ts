// Prints one plain closing line after vitest's own summary, "N passed, N failed, N skipped",
// which CI reads to know how many tests ran. Under CI=true a skipped test is a failure,
// however it was skipped (describeUnless, ctx.skip, skipIf, it.skip, todo): a check that
// did not run cannot pass (docs/testing.md).
import type { Reporter, TestModule } from 'vitest/node';

export default class ClosingLineReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    const skippedNames: string[] = [];
    for (const m of modules) {
      for (const t of m.children.allTests()) {
        const s = t.result().state;
        if (s === 'passed') passed++;
        else if (s === 'failed') failed++;
        else {
          skipped++;
          skippedNames.push(`${m.moduleId.replace(process.cwd() + '/', '')} > ${t.fullName}`);
        }
      }
      // A file that failed outside its tests (import, describe, beforeAll) still failed.
      if (m.state() === 'failed' && ![...m.children.allTests()].some((t) => t.result().state === 'failed')) failed++;
    }
    if (process.env.CI === 'true' && skipped) {
      process.stdout.write(`\nunder CI=true a skipped test fails the run; skipped:\n${skippedNames.map((n) => `  ${n}`).join('\n')}\n`);
      failed += skipped;
      skipped = 0;
      process.exitCode = 1;
    }
    process.stdout.write(`\ntests: ${passed} passed, ${failed} failed, ${skipped} skipped\n`);
  }
}
