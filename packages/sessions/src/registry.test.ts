import type { LogFileRef, NormalizedEvent } from '@nexus/parsers';
import type { UnsequencedFrame } from '@nexus/protocol';
import { beforeEach, describe, expect, it } from 'vitest';
import { coolingDuration } from './lifecycle.js';
import { SessionRegistry } from './registry.js';

const T0 = Date.parse('2026-11-24T10:00:00.000Z');
const file: LogFileRef = {
  sessionId: 'codex:s1',
  kind: 'session',
  group: 'codex',
  tool: 'codex',
  path: '/h/.codex/sessions/s1.jsonl',
  root: '/h/.codex/sessions',
};
const message = (id: string, content = `message ${id}`): NormalizedEvent => ({
  type: 'message',
  sessionId: 'codex:s1',
  id,
  role: 'user',
  kind: 'text',
  content,
});

let now: number;
let frames: UnsequencedFrame[];
let registry: SessionRegistry;
const at = (ms: number) => {
  now = T0 + ms;
  registry.tick();
};
const states = () =>
  frames.filter((f) => f.type === 'state_change').map((f) => (f as { state: string }).state);

beforeEach(() => {
  now = T0;
  frames = [];
  registry = new SessionRegistry({ clock: { now: () => now } });
  registry.subscribe((frame) => frames.push(frame));
});

describe('lifecycle', () => {
  it('announces a session with session_init on its first message, then message_add per message', () => {
    registry.ingest(file, [
      { type: 'meta', sessionId: 'codex:s1', projectPath: '/work/shop', model: 'gpt-5' },
      message('1'),
    ]);
    registry.ingest(file, [message('2')]);
    expect(frames.map((f) => f.type)).toEqual(['session_init', 'message_add']);
    expect(frames[0]).toMatchObject({
      sessionId: 'codex:s1',
      name: 'shop',
      projectPath: '/work/shop',
      model: 'gpt-5',
      state: 'active',
      messageCount: 1,
    });
  });

  it('goes idle after exactly 2 minutes without a message, and back to active on a message', () => {
    registry.ingest(file, [message('1')]);
    at(119_999);
    expect(registry.get('codex:s1')?.state).toBe('active');
    at(120_000);
    expect(registry.get('codex:s1')?.state).toBe('idle');
    registry.ingest(file, [message('2')]);
    expect(states()).toEqual(['idle', 'active']);
  });

  it('cools when liveness vanishes and is gone after the 3 s minimum for a short session', () => {
    registry.ingest(file, [message('1')]);
    at(10_000);
    registry.setLive('codex:s1', false);
    at(10_000);
    expect(registry.get('codex:s1')?.state).toBe('cooling');
    at(12_999);
    expect(registry.get('codex:s1')).toBeDefined();
    at(13_000);
    expect(registry.get('codex:s1')).toBeUndefined();
    expect(frames.at(-1)).toEqual({ type: 'session_remove', sessionId: 'codex:s1' });
    expect(states()).toEqual(['cooling']);
  });

  it('cools for 10% of the active duration in between (100 s active → 10 s)', () => {
    registry.ingest(file, [message('1')]);
    at(100_000);
    registry.setLive('codex:s1', false);
    at(100_000);
    at(109_999);
    expect(registry.get('codex:s1')?.state).toBe('cooling');
    at(110_000);
    expect(registry.get('codex:s1')).toBeUndefined();
  });

  it('cools for at most 5 minutes after a long session (idle before cooling)', () => {
    registry.ingest(file, [message('1')]);
    at(3 * 3600_000);
    expect(registry.get('codex:s1')?.state).toBe('idle');
    registry.setLive('codex:s1', false);
    at(3 * 3600_000);
    at(3 * 3600_000 + 299_999);
    expect(registry.get('codex:s1')?.state).toBe('cooling');
    at(3 * 3600_000 + 300_000);
    expect(registry.get('codex:s1')).toBeUndefined();
    expect(states()).toEqual(['idle', 'cooling']);
  });

  it('comes back to active from cooling on new content, and when liveness returns', () => {
    registry.ingest(file, [message('1')]);
    registry.setLive('codex:s1', false);
    at(1000);
    registry.ingest(file, [message('2')]);
    expect(registry.get('codex:s1')?.state).toBe('active');
    registry.setLive('codex:s1', false);
    at(2000);
    registry.setLive('codex:s1', true);
    expect(states()).toEqual(['cooling', 'active', 'cooling', 'active']);
    at(60_000);
    expect(registry.get('codex:s1')?.state).toBe('active');
  });

  it('computes cooling durations with both bounds', () => {
    expect(coolingDuration(0)).toBe(3000);
    expect(coolingDuration(29_999)).toBe(3000);
    expect(coolingDuration(100_000)).toBe(10_000);
    expect(coolingDuration(3_000_000)).toBe(300_000);
    expect(coolingDuration(10 * 3_600_000)).toBe(300_000);
  });
});

describe('messages', () => {
  it('never adds the same message twice (a file re-read from zero after truncation)', () => {
    registry.ingest(file, [message('1'), message('2')]);
    registry.ingest(file, [message('1'), message('2'), message('3')]);
    expect(registry.messages('codex:s1').map((m) => m.id)).toEqual(['1', '2', '3']);
    expect(frames.filter((f) => f.type === 'message_add')).toHaveLength(1);
  });

  it('does not re-announce a message that already left the 500-message buffer (regression)', () => {
    registry.ingest(
      file,
      Array.from({ length: 600 }, (_, i) => message(String(i))),
    );
    registry.ingest(file, [message('3'), message('600')]);
    const added = frames
      .filter((f) => f.type === 'message_add')
      .map((f) => (f as { message: { id: string } }).message.id);
    expect(added).toEqual(['600']);
  });

  it('keeps the last 500 messages in memory', () => {
    registry.ingest(
      file,
      Array.from({ length: 520 }, (_, i) => message(String(i))),
    );
    const buffered = registry.messages('codex:s1');
    expect(buffered).toHaveLength(500);
    expect(buffered[0]?.id).toBe('20');
    expect(registry.get('codex:s1')?.messageCount).toBe(520);
  });

  it('cuts a huge message for live frames and marks it truncated', () => {
    registry.ingest(file, [message('big', 'x'.repeat(2 * 1024 * 1024))]);
    const [big] = registry.messages('codex:s1');
    expect(big?.content.length).toBe(64 * 1024);
    expect(big?.truncated).toBe(true);
  });

  it('registers nothing for archives, nor for metadata alone', () => {
    registry.ingest({ ...file, kind: 'archive' }, [message('1')]);
    registry.ingest(file, [{ type: 'meta', sessionId: 'codex:s1', title: 'Fix the build' }]);
    expect(registry.list()).toEqual([]);
    registry.ingest(file, [message('1')]);
    expect(registry.get('codex:s1')?.name).toBe('Fix the build');
  });

  it('emits session_update when the title or model changes', () => {
    registry.ingest(file, [message('1')]);
    registry.ingest(file, [{ type: 'meta', sessionId: 'codex:s1', title: 'Add pagination' }]);
    registry.ingest(file, [{ type: 'meta', sessionId: 'codex:s1', title: 'Add pagination' }]);
    expect(frames.filter((f) => f.type === 'session_update')).toEqual([
      { type: 'session_update', session: expect.objectContaining({ name: 'Add pagination' }) },
    ]);
  });
});

describe('subagents', () => {
  it('groups subagents under their parent and keeps the parent active while they work', () => {
    const parent: LogFileRef = { ...file, sessionId: 'claude-code:p', tool: 'claude-code' };
    const child: LogFileRef = {
      ...parent,
      sessionId: 'claude-code:p:a1',
      parentSessionId: 'claude-code:p',
      kind: 'subagent',
    };
    registry.ingest(parent, [{ ...message('1'), sessionId: 'claude-code:p' }]);
    at(100_000);
    registry.ingest(child, [{ ...message('c1'), sessionId: 'claude-code:p:a1' }]);
    at(200_000);
    expect(registry.get('claude-code:p')?.state).toBe('active');
    expect(registry.subagents('claude-code:p').map((s) => s.sessionId)).toEqual(['claude-code:p:a1']);
    expect(registry.runningByTool()).toEqual({ 'claude-code': 2 });
  });
});
