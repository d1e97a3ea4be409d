import { describe, expect, it } from 'vitest';
import { arrayMarkers, decodeWithoutArray } from './array-elision.js';

const [content] = arrayMarkers(['content']) as [Buffer];
const elide = (line: string) => decodeWithoutArray(Buffer.from(line), content);

describe('decodeWithoutArray', () => {
  it('empties the first content array and keeps every other byte', () => {
    const line =
      '{"message":{"id":"m1","content":[{"type":"text","text":"hé 🚀"}],"usage":{"output_tokens":7}},"type":"assistant"}';
    expect(JSON.parse(elide(line)!)).toEqual({
      message: { id: 'm1', content: [], usage: { output_tokens: 7 } },
      type: 'assistant',
    });
  });

  it('is not fooled by brackets, braces and escaped quotes inside strings', () => {
    const text = 'a ] } [ { \\"content\\":[ \\\\';
    const line = `{"content":[{"text":"${text}"},[1,[2]],{"input":{"k":"]"}}],"after":1}`;
    expect(JSON.parse(line).content[0].text).toBe('a ] } [ { "content":[ \\');
    expect(elide(line)).toBe('{"content":[],"after":1}');
  });

  it('gives undefined when the key is absent, spaced, or its array never closes', () => {
    expect(elide('{"usage":{"output_tokens":1}}')).toBeUndefined();
    expect(elide('{"content": [1], "usage": {}}')).toBeUndefined();
    expect(elide('{"content":[{"text":"cut mid-wri')).toBeUndefined();
    expect(elide('{"content":[1}')).toBeUndefined();
  });
});
