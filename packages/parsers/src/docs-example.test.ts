import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { NexusAdapter } from './contract.js';
import { readFileEvents, testAdapter } from './testing/index.js';

// The minimal adapter on docs/adapters.md must stay a working adapter: extract it and run the kit on it.
const doc = readFileSync(new URL('../../../docs/adapters.md', import.meta.url), 'utf8');
const source = /```ts\n([\s\S]*?)```/.exec(doc)?.[1] ?? '';
const generated = new URL('../test/generated/', import.meta.url);
mkdirSync(generated, { recursive: true });
writeFileSync(
  new URL('toy-agent.ts', generated),
  source.replace("from '@nexus/parsers'", "from '../../src/index.js'"),
);
const fixture = new URL('toy-session.jsonl', generated).pathname;
writeFileSync(
  fixture,
  [
    '{"role":"user","text":"hello","time":"2026-11-24T10:00:00Z"}',
    '{"role":"assistant","text":"hi! 你好","time":"2026-11-24T10:00:01Z","tokens":{"in":12,"out":5}}',
    '{"role":"assistant","text":"done","time":"2026-11-24T10:00:02Z","tokens":{"in":20,"out":9}}',
    '',
  ].join('\n'),
);
const toyAgent = ((await import(new URL('toy-agent.ts', generated).href)) as { default: () => NexusAdapter })
  .default;

testAdapter({ adapter: toyAgent, fixtures: [fixture] });

describe('the minimal adapter of docs/adapters.md', () => {
  it('reads its messages and usage', async () => {
    const { events } = await readFileEvents(toyAgent(), fixture);
    expect(
      events
        .filter((event) => event.type === 'usage')
        .map((event) => [event.inputTokens, event.outputTokens]),
    ).toEqual([
      [12, 5],
      [20, 9],
    ]);
    expect(events.filter((event) => event.type === 'message')).toHaveLength(3);
  });
});
