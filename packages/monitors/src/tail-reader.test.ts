import { appendFileSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ADAPTER_API_VERSION, type LogFileRef, type NexusAdapter, type ParseIssue } from '@nexus/parsers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TailReader } from './tail-reader.js';

/** An adapter that turns every line into a message carrying the exact line text. */
const echo: NexusAdapter<{ count: number }> = {
  apiVersion: ADAPTER_API_VERSION,
  id: 'echo',
  displayName: 'Echo',
  rootEnvVars: [],
  resolveRoots: () => [],
  classifyFile: () => ({ sessionId: 'echo:s', kind: 'session', group: 'g' }),
  liveness: { processNames: [], recentWindowMs: 1000 },
  createParser(file) {
    let count = 0;
    return {
      parseLine: (line, position) => [
        {
          type: 'message',
          sessionId: file.sessionId,
          id: `${position.byteOffset}:${++count}`,
          role: 'user',
          kind: 'text',
          content: line,
        },
      ],
      snapshot: () => ({ count }),
      restore: (state) => {
        count = state.count;
      },
    };
  },
};

let dir: string;
let path: string;
let issues: ParseIssue[];
const file = (): LogFileRef => ({
  sessionId: 'echo:s',
  kind: 'session',
  group: 'g',
  tool: 'echo',
  path,
  root: dir,
});
const reader = (extra: Partial<ConstructorParameters<typeof TailReader>[0]> = {}) =>
  new TailReader({
    adapter: echo as NexusAdapter,
    file: file(),
    onIssue: (issue) => issues.push(issue),
    ...extra,
  });
async function lines(tail: TailReader, verify = false): Promise<string[]> {
  const batch = await tail.read({ verify });
  return (batch?.events ?? []).map((event) => (event.type === 'message' ? event.content : ''));
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'nexus-tail-'));
  path = join(dir, 'session.jsonl');
  issues = [];
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('TailReader', () => {
  it('holds a partial line until its newline arrives, over several reads', async () => {
    writeFileSync(path, 'one\ntw');
    const tail = reader();
    expect(await lines(tail)).toEqual(['one']);
    appendFileSync(path, 'o, still');
    expect(await lines(tail)).toEqual([]);
    appendFileSync(path, ' two\nthree\n');
    expect(await lines(tail)).toEqual(['two, still two', 'three']);
    expect(await lines(tail)).toEqual([]);
  });

  it.each([
    ['a 2-byte character', 'é'],
    ['a 3-byte character', '中'],
    ['a 4-byte character', '😀'],
  ])('never mangles %s split at any byte position', async (_name, char) => {
    const line = Buffer.from(`{"text":"a${char}b"}\n`, 'utf8');
    const start = line.indexOf(Buffer.from(char, 'utf8'));
    for (let cut = start + 1; cut < start + Buffer.byteLength(char); cut++) {
      writeFileSync(path, line.subarray(0, cut));
      const tail = reader();
      expect(await lines(tail)).toEqual([]);
      appendFileSync(path, line.subarray(cut));
      expect(await lines(tail)).toEqual([`{"text":"a${char}b"}`]);
    }
  });

  it('strips CR from CRLF lines', async () => {
    writeFileSync(path, 'first\r\nsecond\r\n');
    expect(await lines(reader())).toEqual(['first', 'second']);
  });

  it('reads a truncated file again from 0 and reports it', async () => {
    writeFileSync(path, 'a\nb\nc\n');
    const tail = reader();
    expect(await lines(tail)).toEqual(['a', 'b', 'c']);
    writeFileSync(path, 'x\n');
    // An append is read from the open handle; the path is checked on the host's verify reads.
    const batch = await tail.read({ verify: true });
    expect(batch?.reset).toBe(true);
    expect(batch?.events.map((event) => (event.type === 'message' ? event.content : ''))).toEqual(['x']);
    expect(issues.map((issue) => issue.code)).toEqual(['NEXUS_READ_FILE_RESET']);
  });

  it('reads a file replaced by rename (new inode) from 0', async () => {
    writeFileSync(path, 'old 1\nold 2\nold 3\nold 4\n');
    const tail = reader();
    await tail.read();
    writeFileSync(join(dir, 'next.jsonl'), 'new 1\nnew 2\nnew 3\nnew 4\nnew 5\n');
    renameSync(join(dir, 'next.jsonl'), path);
    expect(await lines(tail, true)).toEqual(['new 1', 'new 2', 'new 3', 'new 4', 'new 5']);
    expect(issues.map((issue) => issue.code)).toEqual(['NEXUS_READ_FILE_RESET']);
  });

  it('reports a deleted file once and ends its liveness', async () => {
    writeFileSync(path, 'a\n');
    const tail = reader();
    await tail.read();
    rmSync(path);
    expect(await tail.read({ verify: true })).toBeUndefined();
    expect(await tail.read({ verify: true })).toBeUndefined();
    expect(tail.vanished).toBe(true);
    expect(issues.map((issue) => issue.code)).toEqual(['NEXUS_READ_FILE_VANISHED']);
  });

  it('skips a 100 MB line with a report and goes on, holding only a bounded part of it', async () => {
    const handle = await open(path, 'w');
    await handle.write('before\n');
    const chunk = Buffer.alloc(1024 * 1024, 0x61);
    for (let i = 0; i < 100; i++) await handle.write(chunk);
    await handle.write('\nafter\n');
    await handle.close();
    const tail = reader({ maxLineBytes: 8 * 1024 * 1024 });
    expect(await lines(tail)).toEqual(['before', 'after']);
    expect(issues).toEqual([expect.objectContaining({ code: 'NEXUS_PARSE_LINE_TOO_LONG', byteOffset: 7 })]);
  });

  it('loses and duplicates nothing over 10,000 appends read while they happen', async () => {
    writeFileSync(path, '');
    const tail = reader();
    const seen: string[] = [];
    for (let i = 0; i < 10_000; i++) {
      appendFileSync(path, `line ${i}\n`);
      if (i % 250 === 0) seen.push(...(await lines(tail)));
    }
    seen.push(...(await lines(tail)));
    expect(seen).toHaveLength(10_000);
    expect(seen[0]).toBe('line 0');
    expect(seen.at(-1)).toBe('line 9999');
    expect(new Set(seen).size).toBe(10_000);
  });

  it('folds reads requested during a read into one follow-up read', async () => {
    writeFileSync(path, 'a\n');
    const tail = reader();
    const first = tail.read();
    appendFileSync(path, 'b\n');
    const second = tail.read();
    const third = tail.read();
    const batch = await first;
    // Regression: every joined call used to receive the same merged batch, delivering it several times.
    expect(await second).toBeUndefined();
    expect(await third).toBeUndefined();
    expect(batch?.events.map((event) => (event.type === 'message' ? event.content : ''))).toEqual(['a', 'b']);
  });

  it('resumes from a checkpoint with the parser state', async () => {
    writeFileSync(path, 'a\nb\n');
    const first = reader();
    const batch = await first.read();
    appendFileSync(path, 'c\n');
    const resumed = reader({ checkpoint: batch!.checkpoint });
    const next = await resumed.read();
    expect(next?.events).toEqual([expect.objectContaining({ content: 'c', id: '4:3' })]);
  });
});
