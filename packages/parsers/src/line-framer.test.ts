import { describe, expect, it } from 'vitest';
import { type FramedLine, LineFramer, type OversizedLine } from './line-framer.js';

/** A small deterministic generator, so a failure names the seed that reproduces it. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

const MARKERS = [Buffer.from('"usage"'), Buffer.from('token_count')];

function logBytes(next: () => number, lines: number): Buffer {
  const parts: string[] = [];
  for (let index = 0; index < lines; index++) {
    const roll = next();
    const filler = 'é東'.repeat(Math.floor(next() * 40));
    if (roll < 0.25) parts.push(`{"type":"assistant","usage":{"output_tokens":${index}},"t":"${filler}"}`);
    else if (roll < 0.35) parts.push(`{"payload":{"type":"token_count"},"n":${index}}`);
    else if (roll < 0.4) parts.push(`{"usage":1,"type":"token_count"}\r`);
    else if (roll < 0.45) parts.push('');
    else if (roll < 0.5) parts.push(`{"huge":"${'x'.repeat(300)}","usage":true}`);
    else parts.push(`{"type":"user","text":"${filler} usage"}`);
  }
  // Sometimes an unfinished last line, which must be held, not returned.
  return Buffer.from(parts.join('\n') + (next() < 0.5 ? '\n' : ''));
}

function frame(
  bytes: Buffer,
  chunkSizes: () => number,
  matching: boolean,
  maxLineBytes: number,
): { lines: FramedLine[]; oversized: OversizedLine[]; resumeOffset: number; pendingBytes: number } {
  const oversized: OversizedLine[] = [];
  const framer = new LineFramer({
    startOffset: 100,
    maxLineBytes,
    onOversizedLine: (line) => oversized.push(line),
  });
  const lines: FramedLine[] = [];
  for (let position = 0; position < bytes.length; ) {
    const size = Math.max(1, chunkSizes());
    const chunk = bytes.subarray(position, position + size);
    const framed = matching ? framer.pushMatching(chunk, MARKERS) : framer.push(chunk);
    // Lines are views into the chunk: copy, as a caller that keeps them must.
    for (const line of framed) lines.push({ bytes: Buffer.from(line.bytes), byteOffset: line.byteOffset });
    position += size;
  }
  return { lines, oversized, resumeOffset: framer.resumeOffset, pendingBytes: framer.pendingBytes };
}

describe('LineFramer.pushMatching', () => {
  it('returns exactly the lines of push() that contain a marker, with the same offsets, reports and resume point', () => {
    for (let seed = 1; seed <= 60; seed++) {
      const next = random(seed);
      const bytes = logBytes(next, 40 + Math.floor(next() * 80));
      const maxChunk = [3, 17, 64, 500, 4096, 1 << 20][seed % 6] as number;
      const maxLineBytes = seed % 3 === 0 ? 200 : 64 * 1024 * 1024;
      const sizes = (s: number) => {
        const pick = random(s);
        return () => 1 + Math.floor(pick() * maxChunk);
      };
      const all = frame(bytes, sizes(seed), false, maxLineBytes);
      const matching = frame(bytes, sizes(seed), true, maxLineBytes);
      const expected = all.lines.filter((line) => MARKERS.some((marker) => line.bytes.includes(marker)));
      expect(matching.lines, `seed ${seed}`).toEqual(expected);
      expect(matching.oversized, `seed ${seed}`).toEqual(all.oversized);
      expect(matching.resumeOffset, `seed ${seed}`).toBe(all.resumeOffset);
      expect(matching.pendingBytes, `seed ${seed}`).toBe(all.pendingBytes);
    }
  });

  it('finds a line carrying both markers once, strips its CR, and holds a partial matching line until its newline', () => {
    const framer = new LineFramer();
    const first = framer.pushMatching(
      Buffer.from('{"a":1}\n{"usage":1,"k":"token_count"}\r\n{"usa'),
      MARKERS,
    );
    expect(first.map((line) => [line.bytes.toString(), line.byteOffset])).toEqual([
      ['{"usage":1,"k":"token_count"}', 8],
    ]);
    expect(framer.resumeOffset).toBe(39);
    const second = framer.pushMatching(Buffer.from('ge":2}\n{"b":2}\n'), MARKERS);
    expect(second.map((line) => [line.bytes.toString(), line.byteOffset])).toEqual([['{"usage":2}', 39]]);
    expect(framer.resumeOffset).toBe(59);
  });
});
