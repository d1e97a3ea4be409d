import {
  appendFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BackfillProgress } from '@nexus/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fakeAdapter, fakeReader, line, type ReaderStats } from '../test/fake-adapter.js';
import { backfillWorkerCount, runBackfill } from './backfill.js';
import { UsageLedger } from './ledger.js';

let dir: string;
let logs: string;
let ledger: UsageLedger;
let stats: ReaderStats;
const environment = { env: {}, homeDir: '/nowhere', exists: existsSync };

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'nexus-backfill-'));
  logs = join(dir, 'logs');
  mkdirSync(join(logs, 'proj'), { recursive: true });
  ledger = UsageLedger.open({ stateDir: join(dir, 'state') });
  stats = { bytesRead: new Map(), startOffsets: new Map() };
});
afterEach(() => {
  ledger.close();
  rmSync(dir, { recursive: true, force: true });
});

const lines = (from: number, to: number, extra: object = {}) =>
  Array.from({ length: to - from }, (_, i) =>
    line({ dedupKey: `k${from + i}`, outputTokens: 10, ...extra }),
  ).join('');

const run = (extra: Partial<Parameters<typeof runBackfill>[0]> = {}) =>
  runBackfill({ ledger, adapters: [fakeAdapter(logs)], environment, reader: fakeReader(stats, 7), ...extra });

const total = () => ledger.toolTotals()['claude-code']?.totalTokens ?? 0;

describe('runBackfill', () => {
  it('reads every file and reports progress up to done', async () => {
    writeFileSync(join(logs, 'proj', 'a.jsonl'), lines(0, 20));
    writeFileSync(join(logs, 'proj', 'b.jsonl'), lines(20, 25));
    writeFileSync(join(logs, 'proj', 'ignored.txt'), 'x');
    const seen: BackfillProgress[] = [];
    const result = await run({ onProgress: (p) => seen.push(p), progressIntervalMs: 0 });
    expect(result).toMatchObject({
      status: 'done',
      scannedFiles: 2,
      totalFiles: 2,
      aborted: false,
      failedFiles: 0,
    });
    expect(result.scannedBytes).toBe(result.totalBytes);
    expect(total()).toBe(250);
    expect(seen[0]?.status).toBe('running');
    expect(seen.at(-1)).toMatchObject({ status: 'done', scannedFiles: 2 });
    for (let i = 1; i < seen.length; i++)
      expect(seen[i]!.scannedBytes).toBeGreaterThanOrEqual(seen[i - 1]!.scannedBytes);
  });

  it('resumes from the checkpoint and reads only new bytes', async () => {
    const a = join(logs, 'proj', 'a.jsonl');
    writeFileSync(a, lines(0, 10));
    await run();
    const firstBytes = stats.bytesRead.get(a)!;
    // A half-written last line is not consumed until it is complete.
    appendFileSync(a, lines(10, 12) + '{"dedupKey":"partial"');
    await run();
    expect(stats.startOffsets.get(a)).toEqual([0, firstBytes]);
    expect(total()).toBe(120);
    expect(ledger.checkpoint(a)?.state).toEqual({ lines: 12 });
    // Nothing new: the file is not even opened by the reader.
    const before = stats.startOffsets.get(a)!.length;
    appendFileSync(a, '}\n'.replace('}', ',"outputTokens":5}'));
    await run();
    expect(stats.startOffsets.get(a)!.length).toBe(before + 1);
    const again = stats.startOffsets.get(a)!.length;
    await run();
    expect(stats.startOffsets.get(a)!.length).toBe(again);
  });

  it('re-reads a truncated file from zero without double counting', async () => {
    const a = join(logs, 'proj', 'a.jsonl');
    writeFileSync(a, lines(0, 10));
    await run();
    writeFileSync(a, lines(0, 3));
    const result = await run();
    expect(result.restartedFiles).toBe(1);
    expect(stats.startOffsets.get(a)).toEqual([0, 0]);
    expect(total()).toBe(100);
  });

  it('re-reads a file rewritten in place with different content', async () => {
    const a = join(logs, 'proj', 'a.jsonl');
    writeFileSync(a, lines(0, 5));
    await run();
    // Same inode, larger, but the head differs: not a continuation.
    writeFileSync(a, lines(100, 120));
    await run();
    expect(stats.startOffsets.get(a)).toEqual([0, 0]);
    expect(total()).toBe(250);
  });

  it('re-reads a replaced file (new inode) without double counting', async () => {
    const a = join(logs, 'proj', 'a.jsonl');
    writeFileSync(a, lines(0, 10));
    await run();
    const tmp = join(logs, 'tmp.jsonl.new');
    writeFileSync(tmp, lines(0, 12));
    renameSync(tmp, a);
    const result = await run();
    expect(result.restartedFiles).toBe(1);
    expect(total()).toBe(120);
  });

  it('keeps history when the logs are deleted', async () => {
    writeFileSync(join(logs, 'proj', 'a.jsonl'), lines(0, 10));
    await run();
    rmSync(logs, { recursive: true, force: true });
    const result = await run();
    expect(result).toMatchObject({ status: 'done', totalFiles: 0 });
    expect(total()).toBe(100);
    expect(ledger.checkpoints()).toHaveLength(1);
  });

  it('keeps the per-key maximum across files (streamed copies in two files)', async () => {
    writeFileSync(join(logs, 'proj', 'a.jsonl'), line({ dedupKey: 'x', outputTokens: 5 }));
    writeFileSync(join(logs, 'proj', 'b.jsonl'), line({ dedupKey: 'x', outputTokens: 50, inputTokens: 1 }));
    await run();
    expect(total()).toBe(51);
  });

  it('stops on abort and resumes to the same totals', async () => {
    for (let f = 0; f < 6; f++)
      writeFileSync(join(logs, 'proj', `f${f}.jsonl`), lines(f * 100, f * 100 + 100));
    const controller = new AbortController();
    const first = await run({
      signal: controller.signal,
      eventsPerCommit: 10,
      progressIntervalMs: 0,
      onProgress: (p) => {
        if (p.scannedFiles >= 2) controller.abort();
      },
    });
    expect(first.aborted).toBe(true);
    expect(first.status).toBe('idle');
    expect(total()).toBeLessThan(6000);
    const second = await run();
    expect(second.status).toBe('done');
    expect(total()).toBe(6000);
  });

  it('logs and skips a file the reader cannot read', async () => {
    writeFileSync(join(logs, 'proj', 'a.jsonl'), lines(0, 3));
    writeFileSync(join(logs, 'proj', 'b.jsonl'), lines(3, 6));
    const warnings: string[] = [];
    const base = fakeReader();
    const result = await runBackfill({
      ledger,
      adapters: [fakeAdapter(logs)],
      environment,
      logger: { warn: (d) => warnings.push(String(d.code)) },
      reader: {
        scanRoot: base.scanRoot,
        async *readLogFile(adapter, file, options) {
          if (file.path.endsWith('a.jsonl')) throw new Error('EACCES');
          yield* base.readLogFile(adapter, file, options);
        },
      },
    });
    expect(result).toMatchObject({ status: 'done', failedFiles: 1, scannedFiles: 2 });
    expect(warnings).toEqual(['NEXUS_USAGE_BACKFILL_FILE']);
    expect(total()).toBe(30);
  });
});

describe('backfillWorkerCount', () => {
  it('parses in the committing thread on one core, in one worker on two, in two from three cores up', () => {
    expect([1, 2, 3, 4, 16].map((cores) => backfillWorkerCount(cores))).toEqual([0, 1, 2, 2, 2]);
  });
});
