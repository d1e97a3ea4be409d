import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { claudeCode } from './adapters/claude-code.js';
import type { NormalizedEvent } from './contract.js';
import {
  describeFile,
  homeDirectory,
  listRoot,
  logFileAt,
  processEnvironment,
  readLogFile,
  scanRoot,
} from './reader.js';

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

describe('readLogFile, chunks and the shared read buffer', () => {
  it('onRead sees every byte from the start offset once, at its file position', async () => {
    const path = join(dir, `${SESSION}.jsonl`);
    const text = Array.from({ length: 12 }, (_, index) => user(index)).join('');
    writeFileSync(path, text);
    const startOffset = Buffer.byteLength(user(0));
    for (const chunkBytes of [7, 1 << 20]) {
      for (const blockingReads of [false, true]) {
        const seen: { position: number; bytes: Buffer }[] = [];
        await read(path, {
          chunkBytes,
          blockingReads,
          startOffset,
          // Copied: the chunk's memory is reused after the call.
          onRead: (chunk, position) => seen.push({ position, bytes: Buffer.from(chunk) }),
        });
        let expected = startOffset;
        for (const { position, bytes } of seen) {
          expect(position).toBe(expected);
          expected += bytes.length;
        }
        expect(Buffer.concat(seen.map((s) => s.bytes)).toString()).toBe(
          Buffer.from(text).subarray(startOffset).toString(),
        );
      }
    }
  });

  it('two files read side by side with blocking reads keep their own lines (regression: one buffer for all reads)', async () => {
    const a = join(dir, `${SESSION}.jsonl`);
    const b = join(dir, '6f1c2a9e-0000-4000-8000-000000000002.jsonl');
    writeFileSync(a, Array.from({ length: 30 }, (_, index) => user(index)).join(''));
    writeFileSync(b, Array.from({ length: 30 }, (_, index) => user(100 + index)).join(''));
    const adapter = claudeCode();
    // Chunks shorter than a line: every line is held across reads, while the other file reads.
    const options = { blockingReads: true, chunkBytes: 50 };
    const left = readLogFile(adapter, describeFile(adapter, a), options);
    const right = readLogFile(adapter, describeFile(adapter, b), options);
    const events: Record<'a' | 'b', NormalizedEvent[]> = { a: [], b: [] };
    let doneA = false;
    let doneB = false;
    while (!doneA || !doneB) {
      if (!doneA) {
        const next = await left.next();
        if (next.done) doneA = true;
        else events.a.push(...next.value.events);
      }
      if (!doneB) {
        const next = await right.next();
        if (next.done) doneB = true;
        else events.b.push(...next.value.events);
      }
    }
    expect(events.a).toEqual((await read(a, {})).events);
    expect(events.b).toEqual((await read(b, {})).events);
    expect(events.b.filter((event) => event.type === 'message')).toHaveLength(30);
    // Consumed at the same time: no read may land in the buffer between another's read and its parse.
    const [together, alongside] = await Promise.all([read(a, options), read(b, options)]);
    expect(together.events).toEqual(events.a);
    expect(alongside.events).toEqual(events.b);
  });
});

describe('readLogFile, last line without a newline', () => {
  const assistant = (id: string, output: number) =>
    JSON.stringify({
      type: 'assistant',
      uuid: `a-${id}-${output}`,
      sessionId: SESSION,
      cwd: '/w',
      timestamp: '2026-11-24T10:00:01.000Z',
      requestId: `req_${id}`,
      message: {
        id: `msg_${id}`,
        model: 'claude-sonnet-4-5-20250929',
        role: 'assistant',
        content: [{ type: 'text', text: 'done' }],
        usage: { input_tokens: 3, output_tokens: output },
      },
    });
  const outputs = (events: NormalizedEvent[]) =>
    events.flatMap((event) => (event.type === 'usage' ? [[event.dedupKey, event.outputTokens]] : []));

  it('counts a finished log whose writer left the last newline out, and resumes before that line', async () => {
    const path = join(dir, `${SESSION}.jsonl`);
    const head = `${assistant('1', 10)}\n`;
    writeFileSync(path, `${head}${assistant('2', 20)}`);
    for (const usageOnly of [false, true]) {
      for (const blockingReads of [false, true]) {
        const result = await read(path, { usageOnly, blockingReads, chunkBytes: 64 });
        expect(outputs(result.events), `${usageOnly} ${blockingReads}`).toEqual([
          ['msg_1:req_1', 10],
          ['msg_2:req_2', 20],
        ]);
        expect(result.resumeOffset).toBe(Buffer.byteLength(head));
      }
    }
    // The writer was still busy: it finishes the line and appends another. Read from the saved point.
    appendFileSync(path, `\n${assistant('3', 30)}\n`);
    const adapter = claudeCode();
    const first = [];
    for await (const batch of readLogFile(adapter, describeFile(adapter, path), { usageOnly: true }))
      first.push(batch);
    const resumed = await read(path, {
      usageOnly: true,
      startOffset: Buffer.byteLength(head),
      state: first[0]?.state,
    });
    expect(outputs(resumed.events)).toEqual([
      ['msg_2:req_2', 20],
      ['msg_3:req_3', 30],
    ]);
  });

  it('leaves a last line still being written alone, without reporting it as bad', async () => {
    const path = join(dir, `${SESSION}.jsonl`);
    const head = `${assistant('1', 10)}\n`;
    writeFileSync(path, `${head}${assistant('2', 20).slice(0, 120)}`);
    const issues: unknown[] = [];
    const result = await read(path, { onIssue: (issue) => issues.push(issue) });
    expect(outputs(result.events)).toEqual([['msg_1:req_1', 10]]);
    expect(result.resumeOffset).toBe(Buffer.byteLength(head));
    expect(issues).toEqual([]);
  });
});

describe('scanRoot', () => {
  it('lists the same session logs, in the same order, with blocking and non-blocking folder reads', async () => {
    const root = join(dir, '.claude', 'projects');
    const paths = [
      `-w/${SESSION}.jsonl`,
      `-w/${SESSION}/subagents/agent-a1.jsonl`,
      '-w/agent-b2.jsonl',
      '-other/6f1c2a9e-0000-4000-8000-000000000002.jsonl',
      // Not walked: dependencies and hidden folders; not a log: other files.
      '-w/node_modules/x/6f1c2a9e-0000-4000-8000-000000000003.jsonl',
      '-w/.hidden/6f1c2a9e-0000-4000-8000-000000000004.jsonl',
      '-w/notes.txt',
    ];
    for (const path of paths) {
      mkdirSync(join(root, path, '..'), { recursive: true });
      writeFileSync(join(root, path), user(1));
    }
    const list = async (blockingReads: boolean) => {
      const found: string[] = [];
      for await (const file of scanRoot(claudeCode(), { path: root, role: 'live' }, { blockingReads }))
        found.push(`${file.kind} ${file.path.slice(root.length + 1)}`);
      return found;
    };
    const blocking = await list(true);
    expect(blocking).toEqual(await list(false));
    expect(blocking).toEqual([
      'session -other/6f1c2a9e-0000-4000-8000-000000000002.jsonl',
      `session -w/${SESSION}.jsonl`,
      `subagent -w/${SESSION}/subagents/agent-a1.jsonl`,
      'subagent -w/agent-b2.jsonl',
    ]);
    // listRoot gives every walked file, logs or not, sorted; logFileAt classifies one as scanRoot does.
    const everything = await listRoot({ path: root, role: 'live' }, { blockingReads: true });
    expect(everything.map((path) => path.slice(root.length + 1))).toEqual([
      '-other/6f1c2a9e-0000-4000-8000-000000000002.jsonl',
      `-w/${SESSION}.jsonl`,
      `-w/${SESSION}/subagents/agent-a1.jsonl`,
      '-w/agent-b2.jsonl',
      '-w/notes.txt',
    ]);
    expect(await listRoot({ path: root, role: 'live' })).toEqual(everything);
    const classified = everything.flatMap((path) => {
      const file = logFileAt(claudeCode(), { path: root, role: 'live' }, path);
      return file ? [`${file.kind} ${file.path.slice(root.length + 1)}`] : [];
    });
    expect(classified).toEqual(blocking);
    // A root that does not exist yet lists nothing, either way.
    expect(await listRoot({ path: join(dir, 'missing'), role: 'live' })).toEqual([]);
    for (const blockingReads of [true, false]) {
      const none = [];
      for await (const file of scanRoot(
        claudeCode(),
        { path: join(dir, 'missing'), role: 'live' },
        { blockingReads },
      ))
        none.push(file);
      expect(none).toEqual([]);
    }
  });
});

describe('homeDirectory', () => {
  it('takes $HOME when it is set', () => {
    expect(homeDirectory({ HOME: '/home/someone' })).toBe('/home/someone');
  });

  it("falls back to the account's home when HOME is empty (regression: roots relative to the working folder)", () => {
    const saved = process.env.HOME;
    // os.homedir() reads the process's own HOME: empty here, as some service managers leave it.
    process.env.HOME = '';
    try {
      expect(homeDirectory({ HOME: '' })).toBe(userInfo().homedir);
      expect(processEnvironment({ HOME: '' }).homeDir).toBe(userInfo().homedir);
    } finally {
      process.env.HOME = saved;
    }
  });
});
