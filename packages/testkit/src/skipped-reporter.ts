import type { Reporter, TestModule } from 'vitest/node';

/**
 * Lists every skipped test at the end of a run, with its file and full name (where the suites put the
 * reason: `describe.skipIf(reason)(\`… (skipped: ${reason})\`)`, or `ctx.skip(note)`), so no skip goes by
 * unexplained in a CI log. A skip whose name and note give no reason is called out.
 */
export default class SkippedReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    const lines: string[] = [];
    for (const module of modules) {
      for (const test of module.children.allTests()) {
        const result = test.result();
        if (result.state !== 'skipped') continue;
        const note = result.note ? ` (${result.note})` : '';
        const explained = note !== '' || /skip|needs|missing|only on|requires/i.test(test.fullName);
        lines.push(
          `  ${explained ? '↓' : '! (no reason in its name or note; see the warnings above)'} ${module.project.name} ${module.moduleId.replace(`${process.cwd()}/`, '')} > ${test.fullName}${note}`,
        );
      }
    }
    if (lines.length === 0) return;
    console.log(`\nskipped tests (${lines.length}):\n${lines.join('\n')}\n`);
  }
}
