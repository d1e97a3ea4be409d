import { fileURLToPath } from 'node:url';
import { mergeUsageEvents, type NormalizedEvent } from '@nexus/parsers';
import { readFileEvents, testAdapter } from '@nexus/parsers/testing';
import { describe, expect, it } from 'vitest';
import geminiCli, { classifyGeminiCliFile } from './index.js';

const fixture = (path: string) => fileURLToPath(new URL(`../fixtures/${path}`, import.meta.url));
const MAIN = fixture('f3a9c2d1e8b7/chats/session-2026-05-02T14-20-8c1f2a9e.jsonl');
const SUBAGENT = fixture(
  'f3a9c2d1e8b7/chats/8c1f2a9e-4b7d-4e21-9a3c-5d6e7f809a1b/5e0b9c7d-1a2f-4e3d-8c4b-9a0f1e2d3c4b.jsonl',
);
const SESSION = 'gemini-cli:8c1f2a9e';

testAdapter({ adapter: () => geminiCli(), fixtures: [MAIN, SUBAGENT] });

const ofType = <T extends NormalizedEvent['type']>(events: NormalizedEvent[], type: T) =>
  events.filter((event): event is Extract<NormalizedEvent, { type: T }> => event.type === type);

describe('Gemini CLI adapter', () => {
  it('finds chats under $GEMINI_CLI_HOME/.gemini/tmp, else ~/.gemini/tmp', () => {
    const exists = () => false;
    expect(geminiCli().resolveRoots({ env: {}, homeDir: '/home/ana', exists })).toEqual([
      { path: '/home/ana/.gemini/tmp', role: 'live' },
    ]);
    expect(
      geminiCli().resolveRoots({ env: { GEMINI_CLI_HOME: '/profiles/work' }, homeDir: '/home/ana', exists }),
    ).toEqual([{ path: '/profiles/work/.gemini/tmp', role: 'live' }]);
  });

  it('classifies main chats, subagent chats (billed to the parent) and nothing else', () => {
    expect(classifyGeminiCliFile('f3a9/chats/session-2026-05-02T14-20-8c1f2a9e.jsonl')).toEqual({
      sessionId: SESSION,
      kind: 'session',
      group: 'f3a9',
    });
    expect(classifyGeminiCliFile('f3a9/chats/8c1f2a9e-4b7d-4e21/5e0b9c7d.jsonl')).toEqual({
      sessionId: 'gemini-cli:5e0b9c7d',
      parentSessionId: SESSION,
      kind: 'subagent',
      group: 'f3a9',
    });
    // Pretty-printed whole-JSON chats from before JSONL recording are not line logs.
    expect(classifyGeminiCliFile('f3a9/chats/session-2025-10-18T14-57-f86f5318.json')).toBeNull();
    expect(classifyGeminiCliFile('f3a9/logs.json')).toBeNull();
    expect(classifyGeminiCliFile('f3a9/chats/notes.txt')).toBeNull();
  });

  it('counts each model response once, even when its record is appended again with tokens', async () => {
    const { events, issues } = await readFileEvents(geminiCli(), MAIN);
    expect(issues).toEqual([]);
    expect(
      ofType(events, 'usage').map((e) => [
        e.dedupKey.slice(SESSION.length + 1, SESSION.length + 9),
        e.model,
        e.timestamp,
        e.inputTokens,
        e.cacheReadTokens,
        e.outputTokens,
        e.reasoningOutputTokens,
      ]),
    ).toEqual([
      // input = promptTokenCount − cached + toolUsePromptTokenCount; output = candidates + thoughts.
      ['b8e4f201', 'gemini-2.5-pro', '2026-05-02T14:20:36.904Z', 8514, 0, 253, 212],
      ['c9f50312', 'gemini-2.5-pro', '2026-05-02T14:20:44.310Z', 698, 8192, 153, 95],
      ['d0a61423', 'gemini-2.5-pro', '2026-05-02T14:20:52.671Z', 1039, 8192, 207, 140],
      ['0304a756', 'gemini-2.5-flash', '2026-05-02T14:21:27.902Z', 9912, 0, 88, 0],
      ['1415b867', 'gemini-2.5-flash', '2026-05-02T14:21:31.550Z', 190, 9600, 15, 0],
    ]);
    expect(mergeUsageEvents(ofType(events, 'usage'))).toHaveLength(5);
  });

  it('shows thoughts, replies, tool calls and results once each, and takes the title from $set.summary', async () => {
    const { events } = await readFileEvents(geminiCli(), MAIN);
    expect(
      ofType(events, 'message').map((m) => [m.id.replace(/^(.{8})[^:]*/, '$1'), m.role, m.kind, m.summary]),
    ).toEqual([
      ['a7d3e1f0:text', 'user', 'text', undefined],
      ['b8e4f201:thought:0', 'assistant', 'thinking', undefined],
      [
        'b8e4f201:call:read_file-1777731636870-7c1d',
        'assistant',
        'tool_call',
        'read_file: /home/ana/site/.github/workflows/release.yml',
      ],
      [
        'b8e4f201:result:read_file-1777731636870-7c1d',
        'tool',
        'tool_result',
        `read_file: jobs: release: runs-on: ubuntu-latest steps: - run: make release VERSION=\${{ github.ref_name }}`,
      ],
      [
        'c9f50312:call:run_shell_command-1777731644290-2e8a',
        'assistant',
        'tool_call',
        'run_shell_command: make -n release VERSION=v1.4.0',
      ],
      [
        'c9f50312:result:run_shell_command-1777731644290-2e8a',
        'tool',
        'tool_result',
        'run_shell_command: error: Makefile:12: *** VERSION must not start with v. Stop.',
      ],
      ['d0a61423:thought:0', 'assistant', 'thinking', undefined],
      ['d0a61423:text', 'assistant', 'text', undefined],
      ['e1b72534:text', 'system', 'text', 'info: Switched to fallback model gemini-2.5-flash'],
      ['f2c83645:text', 'user', 'text', undefined],
      [
        '0304a756:call:replace-1777731687880-9b3f',
        'assistant',
        'tool_call',
        'replace: /home/ana/site/.github/workflows/release.yml',
      ],
      [
        '0304a756:result:replace-1777731687880-9b3f',
        'tool',
        'tool_result',
        'replace: Successfully modified file: /home/ana/site/.github/workflows/release.yml (1 replacements).',
      ],
      ['1415b867:text', 'assistant', 'text', undefined],
    ]);
    expect(ofType(events, 'message')[7]?.content).toContain('ça devrait passer ✅');
    expect(ofType(events, 'meta')).toEqual([
      {
        type: 'meta',
        sessionId: SESSION,
        startedAt: '2026-05-02T14:20:11.482Z',
        timestamp: '2026-05-02T14:20:11.482Z',
      },
      {
        type: 'meta',
        sessionId: SESSION,
        title: 'Fix release workflow version prefix',
        timestamp: '2026-05-02T14:22:00.000Z',
      },
    ]);
    expect(ofType(events, 'activity').map((a) => a.turn)).toEqual(['open', 'closed', 'open', 'closed']);
  });

  it("bills a subagent's calls to the session that started it, with the subagent's folder as project", async () => {
    const { file, events } = await readFileEvents(geminiCli(), SUBAGENT);
    expect(file.kind).toBe('subagent');
    expect(ofType(events, 'usage')).toEqual([
      {
        type: 'usage',
        tool: 'gemini-cli',
        sessionId: SESSION,
        projectPath: '/home/ana/site',
        timestamp: '2026-05-02T14:23:06.500Z',
        model: 'gemini-2.5-flash',
        inputTokens: 4020,
        outputTokens: 40,
        cacheCreationTokens: 0,
        cacheCreation1hTokens: 0,
        cacheReadTokens: 0,
        reasoningOutputTokens: 31,
        dedupKey: `${SESSION}:36371a89-a5b6-46e7-b289-a3b4c5d6e7f8`,
      },
    ]);
  });
});
