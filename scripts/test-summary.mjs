#!/usr/bin/env node
// Prints one line per test suite and the closing "N passed, N failed" line from the vitest JSON
// reports that every package writes, so the summary shows what ran (and a suite that ran nothing fails).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const expected = [];
for (const group of ['packages', 'apps', 'plugins']) {
  const dir = join(root, group);
  if (!existsSync(dir)) continue;
  for (const name of readdirSync(dir)) {
    const pkg = join(dir, name);
    if (!existsSync(join(pkg, 'package.json'))) continue;
    const manifest = JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8'));
    for (const [script, report] of [
      ['test', '.vitest-report.json'],
      ['e2e', '.vitest-e2e-report.json'],
    ]) {
      if (manifest.scripts?.[script])
        expected.push({ label: `${manifest.name} ${script}`, file: join(pkg, report) });
    }
  }
}

let passed = 0;
let failed = 0;
let skipped = 0;
let problems = 0;
console.log('\nTest summary');
for (const { label, file } of expected) {
  if (!existsSync(file)) {
    console.log(`  ${label.padEnd(34)} NO REPORT (did not run or crashed)`);
    problems++;
    continue;
  }
  const report = JSON.parse(readFileSync(file, 'utf8'));
  const p = report.numPassedTests ?? 0;
  const f = report.numFailedTests ?? 0;
  const s = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
  const files = report.numTotalTestSuites ?? 0;
  passed += p;
  failed += f;
  skipped += s;
  if (p + f === 0 || report.success === false) problems++;
  console.log(
    `  ${label.padEnd(34)} ${String(p).padStart(5)} passed ${String(f).padStart(3)} failed ${String(s).padStart(3)} skipped  (${files} suites)`,
  );
}
console.log(`\nTests: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 || problems > 0 ? 1 : 0);
