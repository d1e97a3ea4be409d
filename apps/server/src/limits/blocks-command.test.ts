import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import {
  type UsageBlocksReport,
  UsageBlocksReport as UsageBlocksReportSchema,
  validate,
} from '@nexus/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runBlocksCommand } from './blocks-command.js';

const SESSION = '11111111-2222-4333-8444-555555555555';
const NOW = Date.parse('2026-09-01T22:00:00Z');
let home: string;

beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'nexus-blocks-'));
  const line = (id: string, timestamp: string, input: number, output: number) =>
    JSON.stringify({
      type: 'assistant',
      uuid: id,
      sessionId: SESSION,
      cwd: '/work/shop',
      timestamp,
      requestId: `req_${id}`,
      costUSD: 0.25,
      message: {
        id: `msg_${id}`,
        model: 'claude-sonnet-4-5-20250929',
        role: 'assistant',
        content: [{ type: 'text', text: 'ok' }],
        usage: {
          input_tokens: input,
          output_tokens: output,
          cache_read_input_tokens: 0,
          cache_creation_input_tokens: 0,
        },
      },
    });
  const dir = join(home, '.claude', 'projects', '-work-shop');
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, `${SESSION}.jsonl`),
    `${[
      line('a', '2026-09-01T10:15:00.000Z', 1000, 500),
      line('b', '2026-09-01T12:45:00.000Z', 2000, 1000),
      line('c', '2026-09-01T21:00:00.000Z', 600, 400),
      line('d', '2026-09-01T21:30:00.000Z', 400, 600),
    ].join('\n')}\n`,
  );
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

async function run(args: string[]) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on('data', (c: Buffer) => out.push(c));
  stderr.on('data', (c: Buffer) => err.push(c));
  const code = await runBlocksCommand(
    args,
    {
      stdout,
      stderr,
      env: { HOME: home, NEXUS_STATE_DIR: join(home, '.nexus'), NEXUS_OFFLINE: '1' },
      cwd: home,
    },
    { now: () => NOW },
  );
  return { code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() };
}

describe('nexus usage blocks', () => {
  it('prints the blocks as JSON, the contract of GET /api/usage/blocks', async () => {
    const { code, stdout } = await run(['--json']);
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as UsageBlocksReport;
    expect(validate(UsageBlocksReportSchema, report)).toMatchObject({ ok: true });
    expect(report.blocks.map((b) => [b.id, b.entries, b.totalTokens, b.costUsd, b.isActive])).toEqual([
      ['2026-09-01T10:00:00.000Z', 2, 4500, 0.5, false],
      ['gap-2026-09-01T17:45:00.000Z', 0, 0, 0, false],
      ['2026-09-01T21:00:00.000Z', 2, 2000, 0.5, true],
    ]);
    expect(report.blocks[2]!.burnRate).toEqual({
      tokensPerMinute: 2000 / 30,
      tokensPerMinuteForIndicator: 2000 / 30,
      costPerHour: 1,
    });
    expect(report.blocks[2]!.projection).toEqual({
      totalTokens: 18_000,
      totalCostUsd: 4.5,
      remainingMinutes: 240,
    });
  });

  it('prints a table with the burn rate, the projection and the heaviest session', async () => {
    const { code, stdout } = await run(['--active', '--timezone', 'UTC']);
    expect(code).toBe(0);
    expect(stdout.split('\n')).toEqual([
      'Block start       Status              Models                      Calls  Input  Output  Cache write  Cache read  Total tokens   Cost',
      '────────────────  ──────────────────  ──────────────────────────  ─────  ─────  ──────  ───────────  ──────────  ────────────  ─────',
      '2026-09-01 21:00  active, 4h 0m left  claude-sonnet-4-5-20250929      2  1,000   1,000            0           0         2,000  $0.50',
      '',
      'Burn rate: 67 tokens/min (67 input+output), $1.00/h',
      'Projection to 2026-09-02 02:00: 18,000 tokens, $4.50 (4h 0m left)',
      'Top sessions: /work/shop 100%',
      '',
    ]);
  });

  it('refuses bad options before reading any log', async () => {
    expect((await run(['--mode', 'guess'])).code).toBe(2);
    expect((await run(['--session-length', '0'])).code).toBe(2);
    const dates = await run(['--since', '2026-09-03', '--until', '2026-09-01']);
    expect(dates.code).toBe(2);
    expect(dates.stderr).toMatch(/after until/);
    expect((await run(['--frobnicate'])).code).toBe(2);
    expect((await run(['--help'])).stdout).toMatch(/^Usage: nexus usage blocks/);
  });
});
