import { readFileSync } from 'node:fs';
import type { TSchema } from '@sinclair/typebox';
import { describe, expect, it } from 'vitest';
import * as protocol from './index.js';

const API_DOC = new URL('../../../docs/API.md', import.meta.url);
const EXAMPLE = /<!-- validate: ([\w-]+) -->\s*```json\n([\s\S]*?)```/g;

const examples = [...readFileSync(API_DOC, 'utf8').matchAll(EXAMPLE)].map((match, index) => ({
  target: match[1]!,
  json: match[2]!,
  index,
}));

function check(target: string, value: unknown) {
  if (target === 'server-frame') return protocol.validateServerFrame(value);
  if (target === 'client-frame') return protocol.validateClientFrame(value);
  const schema = (protocol as unknown as Record<string, TSchema>)[target];
  if (!schema) throw new Error(`docs/API.md names an unknown schema ${target}`);
  return protocol.validate(schema, value);
}

describe('docs/API.md', () => {
  it('has an example for every server frame, the client frame and each HTTP DTO', () => {
    const frameTypes = examples
      .filter((example) => example.target === 'server-frame')
      .map((example) => (JSON.parse(example.json) as { type: string }).type);
    expect(new Set(frameTypes)).toEqual(new Set(Object.keys(protocol.ServerFrameSchemas)));
    const dtos = new Set(examples.map((example) => example.target));
    for (const dto of [
      'client-frame',
      'HealthResponse',
      'SessionsResponse',
      'SessionDetailResponse',
      'MessagesPage',
      'UsagePeriodReport',
      'UsageSessionReport',
      'UsageBlocksReport',
      'LimitsSnapshot',
      'ErrorResponse',
    ]) {
      expect(dtos, dto).toContain(dto);
    }
  });

  it.each(examples.map((example) => [`#${example.index} ${example.target}`, example] as const))(
    'example %s validates',
    (_name, example) => {
      expect(check(example.target, JSON.parse(example.json))).toMatchObject({ ok: true });
    },
  );
});

describe('malformed frames', () => {
  it.each([
    ['not an object', 42],
    ['null', null],
    ['an array', []],
    ['missing seq', { type: 'session_remove', sessionId: 'x' }],
    ['negative seq', { type: 'session_remove', seq: -1, sessionId: 'x' }],
    ['unknown state', { type: 'state_change', seq: 1, sessionId: 'x', state: 'sleeping' }],
    ['extra field', { type: 'session_remove', seq: 1, sessionId: 'x', extra: true }],
    [
      'bad timestamp',
      { type: 'hello', seq: 0, protocolVersion: 1, serverVersion: '1', serverTime: 'yesterday', bootId: 'b' },
    ],
    [
      'bad tool id',
      {
        type: 'session_update',
        seq: 1,
        session: { sessionId: 'x', tool: 'Claude Code', name: 'n', state: 'active', messageCount: 0 },
      },
    ],
  ])('%s gives issues, not a throw', (_name, value) => {
    const result = protocol.validateServerFrame(value);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.issues.length).toBeGreaterThan(0);
  });
});
