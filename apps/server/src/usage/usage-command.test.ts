import { appendFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import type { NexusAdapter } from '@nexus/parsers';
import type { BackfillReader } from '@nexus/usage';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runUsageCommand } from './usage-command.js';

/** A log format for tests: one JSON usage event per line. */
const adapter = (root: string): NexusAdapter => ({
  apiVersion: 1,
  id: 'claude-code',
  displayName: 'Fake',
  rootEnvVars: [],
  resolveRoots: () => [{ path: root, role: 'live' }],
  classifyFile: () => ({ sessionId: 'claude-code:s', kind: 'session', group: 'g' }),
  createParser: () => ({
    parseLine: (text) => [{ type: 'usage', ...JSON.parse(text) }],
    snapshot: () => null,
    restore: () => {},
  }),
  liveness: { processNames: [], recentWindowMs: 0 },
});

const reader: BackfillReader = {
  async *scanRoot(a, root) {
    for (const name of readdirSync(root.path).sort()) {
      yield { ...a.classifyFile(name, root)!, tool: a.id, path: join(root.path, name), root: root.path };
    }
  },
  async *readLogFile(a, file, options) {
    const handle = await open(file.path, 'r');
    const { size } = await handle.stat();
    const buf = Buffer.alloc(size - options.startOffset);
    await handle.read(buf, 0, buf.length, options.startOffset);
    await handle.close();
    const text = buf.toString('utf8');
    const end = text.lastIndexOf('\n') + 1;
    const parser = a.createParser(file, { report: () => {} });
    const events = text
      .slice(0, end)
      .split('\n')
      .filter(Boolean)
      .flatMap((l) => parser.parseLine(l, { byteOffset: 0 }));
    yield { events, resumeOffset: options.startOffset + Buffer.byteLength(text.slice(0, end)), state: null };
  },
};

const event = (key: string, timestamp: string, outputTokens: number) =>
  `${JSON.stringify({
    tool: 'claude-code',
    sessionId: 'claude-code:s',
    projectPath: '/p',
    timestamp,
    model: 'claude-sonnet-4-5-20250929',
    inputTokens: 0,
    outputTokens,
    cacheCreationTokens: 0,
    cacheCreation1hTokens: 0,
    cacheReadTokens: 0,
    reasoningOutputTokens: 0,
    dedupKey: key,
  })}\n`;

let dir: string;
let logs: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'nexus-usage-cmd-'));
  logs = join(dir, 'logs');
  mkdirSync(logs);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function capture(tty = false) {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (c: Buffer) => {
    text += c.toString();
  });
  if (tty) Object.assign(stream, { isTTY: true });
  return { stream, text: () => text };
}

async function run(argv: string[], tty = false) {
  const out = capture(tty);
  const err = capture(tty);
  const code = await runUsageCommand(
    argv,
    {
      stdout: out.stream,
      stderr: err.stream,
      env: { NEXUS_STATE_DIR: join(dir, 'state'), HOME: dir },
      cwd: dir,
    },
    { adapters: [adapter(logs)], reader },
  );
  return { code, stdout: out.text(), stderr: err.text() };
}

describe('nexus usage', () => {
  it('catches up the ledger, then prints the daily report as JSON', async () => {
    writeFileSync(
      join(logs, 'a.jsonl'),
      event('a', '2026-09-01T10:00:00.000Z', 1000) + event('b', '2026-09-02T10:00:00.000Z', 2000),
    );
    const r = await run(['daily', '--json', '--timezone', 'UTC', '--offline']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(
      report.rows.map((x: { period: string; outputTokens: number }) => [x.period, x.outputTokens]),
    ).toEqual([
      ['2026-09-01', 1000],
      ['2026-09-02', 2000],
    ]);
    expect(report.totals.costUsd).toBeCloseTo(0.045, 12);

    appendFileSync(join(logs, 'a.jsonl'), event('b', '2026-09-02T10:00:01.000Z', 2500));
    const grown = JSON.parse((await run(['monthly', '--json', '--timezone', 'UTC', '--offline'])).stdout);
    expect(grown.rows).toEqual([expect.objectContaining({ period: '2026-09', outputTokens: 3500 })]);

    // History outlives the logs.
    rmSync(logs, { recursive: true });
    mkdirSync(logs);
    const after = JSON.parse((await run(['session', '--json', '--timezone', 'UTC', '--offline'])).stdout);
    expect(after.rows).toEqual([expect.objectContaining({ sessionId: 'claude-code:s', outputTokens: 3500 })]);
  });

  it('prints an aligned table, coloured only on a TTY, with a progress bar on a TTY stderr', async () => {
    writeFileSync(join(logs, 'a.jsonl'), event('a', '2026-09-01T10:00:00.000Z', 1000));
    const plain = await run(['daily', '--timezone', 'UTC', '--offline']);
    expect(plain.code).toBe(0);
    expect(plain.stdout).toMatch(/^Period +Input/);
    expect(plain.stdout).not.toContain('\x1b[');
    expect(plain.stderr).toBe('');
    writeFileSync(join(logs, 'b.jsonl'), event('c', '2026-09-01T11:00:00.000Z', 1));
    const tty = await run(['daily', '--timezone', 'UTC', '--offline'], true);
    expect(tty.stdout).toContain('\x1b[');
    expect(tty.stderr).toContain('files');
  });

  it('rejects bad arguments with exit code 2 before reading anything', async () => {
    expect((await run(['weekly'])).code).toBe(2);
    expect((await run(['daily', '--bogus'])).code).toBe(2);
    expect((await run(['daily', '--mode', 'cheap'])).code).toBe(2);
    const badDate = await run(['daily', '--since', '2026-13-01']);
    expect(badDate.code).toBe(2);
    expect(badDate.stderr).toMatch(/^\[nexus\] \[usage\] since must be a date/);
    expect((await run(['daily', '--timezone', 'Nowhere/Land'])).code).toBe(2);
    const help = await run(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('nexus usage <daily|monthly|session>');
  });
});
