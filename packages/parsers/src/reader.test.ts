import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { claudeCode } from './adapters/claude-code.js';
import type { NormalizedEvent } from './contract.js';
import { describeFile, readLogFile } from './reader.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'nexus-reader-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const SESSION = '6f1c2a9e-0000-4000-8000-000000000001';
const user = (index: number) =>
  `${JSON.stringify({ type: 'user', uuid: `u${index}`, sessionId: SESSION, cwd: '/w', timestamp: '2026-11-24T10:00:00.000Z', message: { role: 'user', content: `message ${index} — é 東京` } })}\n`;

async function read(path: string, options: Parameters<typeof readLogFile>[2]) {
  const adapter = claudeCode();
  const batches = [];
  for await (const batch of readLogFile(adapter, describeFile(adapter, path), options)) batches.push(batch);
  const events: NormalizedEvent[] = batches.flatMap((batch) => batch.events);
  return { events, resumeOffset: batches.at(-1)?.resumeOffset ?? 0, batches: batches.length };
}

describe('readLogFile', () => {
  it('blocking and non-blocking reads give the same events and offsets, whatever the chunk size', async () => {
    const path = join(dir, '.claude', 'projects', '-w', `${SESSION}.jsonl`);
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, Array.from({ length: 40 }, (_, index) => user(index)).join(''));
    appendFileSync(path, '{"type":"user","partial":');
    const reference = await read(path, {});
    expect(reference.events.filter((event) => event.type === 'message')).toHaveLength(40);
    for (const chunkBytes of [7, 64, 1000, 1 << 20]) {
      for (const blockingReads of [false, true]) {
        const result = await read(path, { chunkBytes, blockingReads });
        expect(result.events, `${chunkBytes} ${blockingReads}`).toEqual(reference.events);
        // The partial last line is left for the next read.
        expect(result.resumeOffset).toBe(
          Buffer.byteLength(Array.from({ length: 40 }, (_, index) => user(index)).join('')),
        );
      }
    }
  });

  it('a read from a saved offset sees only what was appended since', async () => {
    const path = join(dir, `${SESSION}.jsonl`);
    writeFileSync(path, user(1));
    const first = await read(path, { blockingReads: true });
    appendFileSync(path, user(2));
    const second = await read(path, { blockingReads: true, startOffset: first.resumeOffset });
    expect(
      second.events
        .filter((event) => event.type === 'message')
        .map((event) => (event as { content: string }).content),
    ).toEqual(['message 2 — é 東京']);
  });
});
