import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { usage } from '../test/helpers.js';
import { UsageLedger } from './ledger.js';
import { startWalCheckpointer } from './wal-checkpointer.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function openLedger(): UsageLedger {
  const dir = mkdtempSync(join(tmpdir(), 'nexus-wal-'));
  dirs.push(dir);
  return UsageLedger.open({ stateDir: dir });
}

/** Commit `count` calls, one commit per 100, enough log pages to pass SQLite's 1,000-page default. */
function commitCalls(ledger: UsageLedger, from: number, count: number): void {
  for (let start = from; start < from + count; start += 100) {
    const events = Array.from({ length: 100 }, (_, i) =>
      usage({
        dedupKey: `msg_${start + i}:req_${start + i}`,
        sessionId: `session-${(start + i) % 37}`,
        projectPath: `/work/project-${(start + i) % 11}/${'deep/'.repeat(8)}`,
        inputTokens: 1000 + i,
      }),
    );
    ledger.ingest(events);
  }
}

const autocheckpoint = (ledger: UsageLedger) => ledger.db.pragma('wal_autocheckpoint', { simple: true });
const databaseBytes = (ledger: UsageLedger) => statSync(ledger.path).size;

async function until(condition: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('startWalCheckpointer', () => {
  it('takes checkpoints off the writing connection and copies the log in its worker', async () => {
    const ledger = openLedger();
    const checkpointer = startWalCheckpointer(ledger, { intervalMs: 60_000 });
    expect(autocheckpoint(ledger)).toBe(0);
    const before = databaseBytes(ledger);
    // Far past 1,000 log pages: with SQLite's default the writer would have checkpointed by now.
    commitCalls(ledger, 0, 20_000);
    expect(statSync(`${ledger.path}-wal`).size).toBeGreaterThan(1000 * 4096);
    expect(databaseBytes(ledger)).toBe(before);
    // Closing takes one last checkpoint in the worker, then hands checkpoints back.
    await checkpointer.close();
    expect(databaseBytes(ledger)).toBeGreaterThan(before);
    expect(autocheckpoint(ledger)).toBe(1000);
    expect(ledger.db.prepare('SELECT COUNT(*) FROM usage').pluck().get()).toBe(20_000);
    ledger.close();
  });

  it('checkpoints on its interval while the writer goes on', async () => {
    const ledger = openLedger();
    const checkpointer = startWalCheckpointer(ledger, { intervalMs: 20 });
    const before = databaseBytes(ledger);
    commitCalls(ledger, 0, 2_000);
    await until(() => databaseBytes(ledger) > before);
    const afterFirst = databaseBytes(ledger);
    commitCalls(ledger, 2_000, 2_000);
    await until(() => databaseBytes(ledger) > afterFirst);
    await checkpointer.close();
    ledger.close();
    // Everything committed is in the database after the log is gone.
    const reopened = UsageLedger.open({ stateDir: join(ledger.path, '..') });
    expect(reopened.db.prepare('SELECT COUNT(*) FROM usage').pluck().get()).toBe(4_000);
    reopened.close();
  });

  it('hands checkpoints back to the writer when its worker fails', async () => {
    const ledger = openLedger();
    const errors: Error[] = [];
    const broken = Object.create(ledger, {
      path: { value: join(ledger.path, '..', 'missing', 'usage.sqlite') },
    }) as UsageLedger;
    const checkpointer = startWalCheckpointer(broken, { onError: (err) => errors.push(err) });
    expect(autocheckpoint(ledger)).toBe(0);
    await until(() => errors.length === 1);
    expect(errors[0]?.message).toMatch(/directory does not exist/);
    await checkpointer.close();
    expect(autocheckpoint(ledger)).toBe(1000);
    ledger.close();
  });

  it('does nothing for an in-memory ledger', async () => {
    const ledger = UsageLedger.open({ path: ':memory:' });
    const checkpointer = startWalCheckpointer(ledger);
    await checkpointer.close();
    ledger.close();
  });

  it('finishes its last checkpoint in a process with nothing else to wait for (regression: exit code 13)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nexus-wal-'));
    dirs.push(dir);
    const source = (file: string) => JSON.stringify(fileURLToPath(new URL(file, import.meta.url)));
    const script = `
      import { UsageLedger } from ${source('./ledger.ts')};
      import { startWalCheckpointer } from ${source('./wal-checkpointer.ts')};
      const ledger = UsageLedger.open({ stateDir: ${JSON.stringify(dir)} });
      const checkpointer = startWalCheckpointer(ledger);
      await checkpointer.close();
      ledger.close();
      console.log('closed');
    `;
    const run = spawnSync(
      process.execPath,
      [
        '--conditions=@nexus/source',
        '--import',
        createRequire(import.meta.url).resolve('tsx'),
        '--input-type=module',
        '--eval',
        script,
      ],
      { encoding: 'utf8' },
    );
    expect({ status: run.status, stdout: run.stdout.trim() }).toEqual({ status: 0, stdout: 'closed' });
  });
});
