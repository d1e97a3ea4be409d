import { describe, expect, it } from 'vitest';
import { FrameLog } from './frame-log.js';

const remove = (id: string) => ({ type: 'session_remove', sessionId: id }) as const;

describe('FrameLog', () => {
  it('numbers frames from 1 and returns exactly the frames after a seq', () => {
    const log = new FrameLog({ maxFrames: 10, maxBytes: 1e6 });
    for (const id of ['a', 'b', 'c']) log.append(remove(id));
    expect(log.since(1)?.map((entry) => entry.seq)).toEqual([2, 3]);
    expect(log.since(3)).toEqual([]);
    expect(JSON.parse(log.since(2)![0]!.text)).toEqual({ type: 'session_remove', sessionId: 'c', seq: 3 });
  });

  it('asks for an init when the requested seq fell out of the bounded tail', () => {
    const log = new FrameLog({ maxFrames: 2, maxBytes: 1e6 });
    for (const id of ['a', 'b', 'c', 'd']) log.append(remove(id));
    expect(log.since(1)).toBeUndefined();
    expect(log.since(2)?.map((entry) => entry.seq)).toEqual([3, 4]);
  });

  it('asks for an init for a seq from the future (another server run)', () => {
    const log = new FrameLog({ maxFrames: 2, maxBytes: 1e6 });
    log.append(remove('a'));
    expect(log.since(50)).toBeUndefined();
  });

  it('bounds memory by bytes', () => {
    const log = new FrameLog({ maxFrames: 1000, maxBytes: 200 });
    for (let i = 0; i < 100; i++) log.append(remove(`session-${i}`));
    expect(log.since(90)).toBeUndefined();
    expect(log.since(97)?.length).toBe(3);
  });
});
