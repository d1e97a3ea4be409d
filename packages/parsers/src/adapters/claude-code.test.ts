import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readFileEvents, testAdapter } from '../testing/index.js';
import { mergeUsageEvents } from '../usage-merge.js';
import { classifyClaudeCodeFile, claudeCode } from './claude-code.js';

const fixture = (name: string) =>
  new URL(`../../test/fixtures/claude-code/${name}`, import.meta.url).pathname;
const FIXTURES = [
  'real/cc2.1.39_session_head.jsonl',
  'real/cc2.1.39_streamed_message_split_with_interleaved_tool_results.jsonl',
  'real/cc2.1.39_progress_agent_progress_embedding_usage.jsonl',
  'real/cc2.1.39_compaction_boundary_and_summary.jsonl',
  'real/cc2.1.38-39_system_queue_filehistory_records.jsonl',
  'real/cc2.1.x_short_session.jsonl',
  'real/cc2.1.x_tool_heavy_session.jsonl',
  'real/cc1.0.x_ccv_session_1af7fc5e.jsonl',
  'real/cc1.0.98_ccv_summary_plus_head.jsonl',
  'real/from-issues_cc1.0.17_synthetic_api_error.jsonl',
  'real/from-issues_cc1.0.9_assistant_no_costUSD.jsonl',
  'real/ae4a77f8-aedd-4bc1-888f-c94edc91af04/subagents/agent-aac57f5.jsonl',
  'synthetic-fixtures/claude-code-log_edge_cases_malformed.jsonl',
  'synthetic-fixtures/claude-code-log_representative_messages.jsonl',
  'synthetic-fixtures/ccusage_fixture_project-alpha_chat.jsonl',
  'derived/partial_last_line_utf8_cut.jsonl',
].map(fixture);

testAdapter({ adapter: () => claudeCode(), fixtures: FIXTURES });

describe('claude-code usage', () => {
  it('keeps the maximum of a response streamed over five lines (output 10,10,10,10,299 → 299), dated by the 299 line', async () => {
    const { events } = await readFileEvents(
      claudeCode(),
      fixture('real/cc2.1.39_streamed_message_split_with_interleaved_tool_results.jsonl'),
    );
    const usage = events.filter((event) => event.type === 'usage');
    expect(usage.map((event) => event.outputTokens)).toEqual([10, 10, 10, 10, 299]);
    expect(mergeUsageEvents(events)).toEqual([
      expect.objectContaining({
        dedupKey: 'msg_01Aci2WjhVxhEoZK5GJvwVrD:req_011CY4TdRR4Sr7x9h9V6zayA',
        model: 'claude-opus-4-6',
        inputTokens: 1,
        outputTokens: 299,
        cacheCreationTokens: 5601,
        cacheReadTokens: 29509,
        timestamp: '2026-02-12T16:05:15.558Z',
        sessionId: 'claude-code:4d5611e5-241a-462a-8d15-5122611a9569',
      }),
    ]);
  });

  it('never counts the usage copies embedded in progress records', async () => {
    const { events } = await readFileEvents(
      claudeCode(),
      fixture('real/cc2.1.39_progress_agent_progress_embedding_usage.jsonl'),
    );
    expect(
      readFileSync(fixture('real/cc2.1.39_progress_agent_progress_embedding_usage.jsonl'), 'utf8'),
    ).toContain('"usage"');
    expect(events.filter((event) => event.type === 'usage')).toEqual([]);
    expect(events.filter((event) => event.type === 'message')).toEqual([]);
  });

  it('skips the <synthetic> model of API-error lines', async () => {
    const { events } = await readFileEvents(
      claudeCode(),
      fixture('real/from-issues_cc1.0.17_synthetic_api_error.jsonl'),
    );
    expect(events.filter((event) => event.type === 'usage')).toEqual([]);
  });

  it('honours costUSD and the fast speed of old lines', async () => {
    const { events } = await readFileEvents(
      claudeCode(),
      fixture('synthetic-fixtures/ccusage_fixture_project-alpha_chat.jsonl'),
    );
    const usage = mergeUsageEvents(events);
    expect(
      usage.map((event) => [
        event.dedupKey,
        event.costUsd,
        event.speed ?? 'standard',
        event.inputTokens,
        event.outputTokens,
      ]),
    ).toEqual([
      ['msg-alpha-1:req-alpha-1', 0.12, 'standard', 100, 50],
      ['msg-alpha-2:req-alpha-2', 0.34, 'fast', 200, 75],
      ['msg-alpha-3:req-alpha-3', 0.56, 'standard', 300, 125],
    ]);
  });

  it('deduplicates lines without requestId by message.id', () => {
    const adapter = claudeCode();
    const file = {
      sessionId: 'claude-code:s',
      kind: 'session' as const,
      group: 'p',
      tool: 'claude-code',
      path: '/x/p/s.jsonl',
      root: '/x',
    };
    const parser = adapter.createParser(file, { report: () => {} });
    const line = (output: number) =>
      JSON.stringify({
        type: 'assistant',
        sessionId: 's',
        timestamp: '2026-01-01T00:00:00Z',
        message: {
          id: 'msg_1',
          model: 'claude-sonnet-4-5',
          content: [],
          usage: { input_tokens: 10, output_tokens: output },
        },
      });
    const events = [5, 8, 100].flatMap((output, index) =>
      parser.parseLine(line(output), { byteOffset: index * 200 }),
    );
    expect(mergeUsageEvents(events)).toEqual([
      expect.objectContaining({ dedupKey: 'msg_1', inputTokens: 10, outputTokens: 100 }),
    ]);
  });

  it('bills a subagent file to its parent session', async () => {
    const path = fixture('real/ae4a77f8-aedd-4bc1-888f-c94edc91af04/subagents/agent-aac57f5.jsonl');
    const info = classifyClaudeCodeFile(
      '-home-p/ae4a77f8-aedd-4bc1-888f-c94edc91af04/subagents/agent-aac57f5.jsonl',
    )!;
    const { events } = await readFileEvents(claudeCode(), path, {
      file: { ...info, tool: 'claude-code', path, root: '/r' },
    });
    const usage = events.filter((event) => event.type === 'usage');
    expect(usage.length).toBeGreaterThan(0);
    expect(new Set(usage.map((event) => event.sessionId))).toEqual(
      new Set(['claude-code:ae4a77f8-aedd-4bc1-888f-c94edc91af04']),
    );
    expect(
      new Set(events.filter((event) => event.type === 'message').map((event) => event.sessionId)),
    ).toEqual(new Set(['claude-code:ae4a77f8-aedd-4bc1-888f-c94edc91af04:aac57f5']));
  });
});

describe('claude-code files and roots', () => {
  it('classifies sessions, subagents (current and legacy) and ignores the rest', () => {
    expect(classifyClaudeCodeFile('-home-p/0b1c2d3e-0000-4000-8000-000000000001.jsonl')).toEqual({
      sessionId: 'claude-code:0b1c2d3e-0000-4000-8000-000000000001',
      kind: 'session',
      group: '-home-p',
    });
    expect(
      classifyClaudeCodeFile('-home-p/0b1c2d3e-0000-4000-8000-000000000001/subagents/agent-a12.jsonl'),
    ).toEqual({
      sessionId: 'claude-code:0b1c2d3e-0000-4000-8000-000000000001:a12',
      parentSessionId: 'claude-code:0b1c2d3e-0000-4000-8000-000000000001',
      kind: 'subagent',
      group: '-home-p',
    });
    expect(classifyClaudeCodeFile('-home-p/agent-test-hash-123.jsonl')).toMatchObject({
      kind: 'subagent',
      group: '-home-p',
    });
    expect(
      classifyClaudeCodeFile('-home-p/0b1c2d3e-0000-4000-8000-000000000001/tool-results/x.jsonl'),
    ).toBeNull();
    expect(classifyClaudeCodeFile('-home-p/notes.txt')).toBeNull();
  });

  it('reads both default roots, or only $CLAUDE_CONFIG_DIR (a comma-separated list)', () => {
    const env = (vars: Record<string, string>) => ({ env: vars, homeDir: '/home/u', exists: () => true });
    expect(
      claudeCode()
        .resolveRoots(env({}))
        .map((root) => root.path),
    ).toEqual(['/home/u/.claude/projects', '/home/u/.config/claude/projects']);
    expect(
      claudeCode()
        .resolveRoots(env({ CLAUDE_CONFIG_DIR: '/a, /b/projects' }))
        .map((root) => root.path),
    ).toEqual(['/a/projects', '/b/projects']);
  });
});

describe('claude-code messages and titles', () => {
  it('turns blocks into messages with tool summaries and prefers a custom title', () => {
    const adapter = claudeCode();
    const file = {
      sessionId: 'claude-code:s',
      kind: 'session' as const,
      group: 'p',
      tool: 'claude-code',
      path: '/x/p/s.jsonl',
      root: '/x',
    };
    const parser = adapter.createParser(file, { report: () => {} });
    const lines = [
      {
        type: 'user',
        uuid: 'u1',
        cwd: '/work/app',
        timestamp: '2026-01-01T00:00:00Z',
        message: { role: 'user', content: 'run the tests' },
      },
      {
        type: 'assistant',
        uuid: 'a1',
        timestamp: '2026-01-01T00:00:01Z',
        message: {
          id: 'm',
          model: 'claude-sonnet-4-5',
          content: [{ type: 'tool_use', id: 't1', name: 'Bash', input: { command: 'npm test' } }],
        },
      },
      {
        type: 'user',
        uuid: 'u2',
        timestamp: '2026-01-01T00:00:02Z',
        message: {
          role: 'user',
          content: [{ type: 'tool_result', tool_use_id: 't1', content: 'ok 12 tests\nall good' }],
        },
      },
      { type: 'ai-title', aiTitle: 'Running tests', sessionId: 's' },
      { type: 'custom-title', customTitle: 'My run', sessionId: 's' },
      { type: 'ai-title', aiTitle: 'Later title', sessionId: 's' },
    ];
    const events = lines.flatMap((line, index) =>
      parser.parseLine(JSON.stringify(line), { byteOffset: index * 100 }),
    );
    expect(
      events
        .filter((event) => event.type === 'message')
        .map((event) => [event.role, event.kind, event.summary ?? event.content]),
    ).toEqual([
      ['user', 'text', 'run the tests'],
      ['assistant', 'tool_call', 'Bash: npm test'],
      ['tool', 'tool_result', 'Bash → ok 12 tests'],
    ]);
    expect(
      events
        .filter((event) => event.type === 'meta' && event.title)
        .map((event) => (event as { title: string }).title),
    ).toEqual(['Running tests', 'My run', 'My run']);
    expect(events.find((event) => event.type === 'meta' && event.projectPath)).toMatchObject({
      projectPath: '/work/app',
    });
  });

  it('reports malformed lines as issues and keeps going', async () => {
    const { events, issues } = await readFileEvents(
      claudeCode(),
      fixture('synthetic-fixtures/claude-code-log_edge_cases_malformed.jsonl'),
    );
    expect(issues.map((issue) => issue.code)).toContain('NEXUS_PARSE_NOT_OBJECT');
    expect(events.filter((event) => event.type === 'message').length).toBeGreaterThan(0);
  });

  it('never decodes a multi-byte character cut by the end of the file', async () => {
    const { events } = await readFileEvents(
      claudeCode(),
      fixture('derived/partial_last_line_utf8_cut.jsonl'),
    );
    for (const event of events) {
      if (event.type === 'message') expect(event.content).not.toContain('\ufffd');
    }
  });
});
