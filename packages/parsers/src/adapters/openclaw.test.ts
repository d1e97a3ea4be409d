import { describe, expect, it } from 'vitest';
import { readFileEvents, testAdapter } from '../testing/index.js';
import { mergeUsageEvents } from '../usage-merge.js';
import { classifyOpenClawFile, openclaw } from './openclaw.js';

const fixture = (name: string) => new URL(`../../test/fixtures/openclaw/${name}`, import.meta.url).pathname;
testAdapter({
  adapter: () => openclaw(),
  fixtures: [
    'real-transcript-excerpt-2026-04-17.jsonl',
    'agenticlaw-test-lines.jsonl',
    'pi-mono-large-session-head.jsonl',
    'deja-vu-registry-transcript.jsonl',
  ].map(fixture),
});

describe('openclaw', () => {
  it('counts each assistant message with usage, with the cost the log states', async () => {
    const { events } = await readFileEvents(openclaw(), fixture('real-transcript-excerpt-2026-04-17.jsonl'));
    expect(
      mergeUsageEvents(events).map((event) => [
        event.model,
        event.inputTokens,
        event.outputTokens,
        event.cacheReadTokens,
        event.cacheCreationTokens,
        event.costUsd,
      ]),
    ).toEqual([['LLM_GLM5.1', 44608, 145, 0, 0, 0.000044898], expect.arrayContaining(['LLM_GLM5.1'])]);
  });

  it('takes the model from model_change when the message names none', async () => {
    const { events } = await readFileEvents(openclaw(), fixture('agenticlaw-test-lines.jsonl'));
    const usage = events.filter((event) => event.type === 'usage');
    expect(usage.length).toBeGreaterThan(0);
    expect(usage[0]).toMatchObject({
      model: 'claude-opus-4-6',
      inputTokens: 3,
      outputTokens: 91,
      cacheReadTokens: 15396,
      cacheCreationTokens: 434,
    });
  });

  it('classifies transcripts, archives and sidecars', () => {
    expect(classifyOpenClawFile('main/sessions/a1b2.jsonl')).toEqual({
      sessionId: 'openclaw:a1b2',
      kind: 'session',
      group: 'main',
    });
    expect(classifyOpenClawFile('main/sessions/a1b2.jsonl.reset.2026-01-01T00-00-00Z')).toEqual({
      sessionId: 'openclaw:a1b2',
      kind: 'archive',
      group: 'main',
    });
    expect(classifyOpenClawFile('main/sessions/a1b2.jsonl.deleted.1700000000')).toMatchObject({
      kind: 'archive',
    });
    expect(classifyOpenClawFile('main/sessions/a1b2.checkpoint.0f.jsonl')).toBeNull();
    expect(classifyOpenClawFile('main/sessions/sessions.json')).toBeNull();
    expect(classifyOpenClawFile('main/sessions/a1b2.jsonl.lock')).toBeNull();
  });

  it('uses $OPENCLAW_STATE_DIR alone, else ~/.openclaw or the first legacy folder that exists, with the other legacy folders as history', () => {
    const roots = (env: Record<string, string>, existing: string[]) =>
      openclaw()
        .resolveRoots({ env, homeDir: '/h', exists: (path) => existing.includes(path) })
        .map((root) => `${root.role} ${root.path}`);
    expect(roots({ OPENCLAW_STATE_DIR: '/s' }, ['/h/.clawdbot'])).toEqual(['live /s/agents']);
    expect(roots({}, ['/h/.openclaw', '/h/.clawdbot'])).toEqual([
      'live /h/.openclaw/agents',
      'history /h/.clawdbot/agents',
    ]);
    expect(roots({}, ['/h/.moltbot'])).toEqual(['live /h/.moltbot/agents']);
    expect(roots({}, ['/h/.clawdbot', '/h/.moltbot'])).toEqual([
      'live /h/.clawdbot/agents',
      'history /h/.moltbot/agents',
    ]);
    expect(roots({}, [])).toEqual(['live /h/.openclaw/agents']);
    expect(
      classifyOpenClawFile('main/sessions/a1b2.jsonl', { path: '/h/.clawdbot/agents', role: 'history' }),
    ).toMatchObject({ sessionId: 'openclaw:a1b2', kind: 'archive' });
  });
});
