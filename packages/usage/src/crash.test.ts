import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { fakeAdapter, fakeReader, line } from '../test/fake-adapter.js';
import { runBackfill } from './backfill.js';
import { UsageLedger } from './ledger.js';
import { dailyReport } from './reports.js';

const dir = mkdtempSync(join(tmpdir(), 'nexus-crash-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const environment = { env: {}, homeDir: '/nowhere', exists: existsSync };

/** Run the child until it has committed part of the backfill, then SIGKILL it. */
function killMidway(
  logs: string,
  stateDir: string,
  afterFiles: number,
): Promise<{ killed: boolean; lastFiles: number }> {
  const tsx = createRequire(import.meta.url).resolve('tsx');
  const child = spawn(
    process.execPath,
    [
      '--conditions=@nexus/source',
      '--import',
      tsx,
      fileURLToPath(new URL('../test/crash-child.ts', import.meta.url)),
      logs,
      stateDir,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  return new Promise((resolve, reject) => {
    let buffer = '';
    let lastFiles = 0;
    let killed = false;
    child.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      let nl = buffer.indexOf('\n');
      while (nl >= 0) {
        const text = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        nl = buffer.indexOf('\n');
        if (text.startsWith('{')) {
          lastFiles = (JSON.parse(text) as { scannedFiles: number }).scannedFiles;
          if (!killed && lastFiles >= afterFiles) {
            killed = child.kill('SIGKILL');
          }
        }
      }
    });
    child.on('error', reject);
    child.on('exit', (_code, signal) => resolve({ killed: signal === 'SIGKILL', lastFiles }));
  });
}

describe('crash safety', () => {
  it('gives the same totals after a SIGKILL in the middle of a backfill', async () => {
    const logs = join(dir, 'logs');
    mkdirSync(logs, { recursive: true });
    // Keys repeat across files with growing numbers, like streamed responses and resumed sessions.
    for (let f = 0; f < 12; f++) {
      let text = '';
      for (let i = 0; i < 60; i++) {
        const k = (f * 37 + i) % 400;
        text += line({
          dedupKey: `k${k}`,
          outputTokens: 10 + ((f + i) % 7),
          inputTokens: k,
          timestamp: new Date(Date.UTC(2026, 8, 1 + (k % 5), f, i)).toISOString(),
        });
      }
      writeFileSync(join(logs, `f${String(f).padStart(2, '0')}.jsonl`), text);
    }
    const reference = UsageLedger.open({ path: ':memory:' });
    await runBackfill({
      ledger: reference,
      adapters: [fakeAdapter(logs)],
      environment,
      reader: fakeReader(),
    });
    const expected = dailyReport(reference, { timezone: 'UTC' });
    reference.close();

    const stateDir = join(dir, 'state');
    const first = await killMidway(logs, stateDir, 4);
    expect(first.killed).toBe(true);
    expect(first.lastFiles).toBeLessThan(12);

    const ledger = UsageLedger.open({ stateDir });
    const partial = ledger.toolTotals()['claude-code']?.totalTokens ?? 0;
    expect(partial).toBeGreaterThan(0);
    expect(partial).toBeLessThan(expected.totals.totalTokens);
    const result = await runBackfill({
      ledger,
      adapters: [fakeAdapter(logs)],
      environment,
      reader: fakeReader(),
    });
    expect(result.status).toBe('done');
    expect(dailyReport(ledger, { timezone: 'UTC' })).toEqual(expected);
    expect(ledger.toolTotals()['claude-code']?.totalTokens).toBe(expected.totals.totalTokens);
    ledger.close();
  }, 30_000);
});
