import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { serverNodeFlags } from './daemon.js';

describe('serverNodeFlags', () => {
  it('turns concurrent marking off on two cores or fewer, where the marker took a core from the server', () => {
    expect(serverNodeFlags(1)).toEqual(['--max-semi-space-size=2', '--no-concurrent-marking']);
    expect(serverNodeFlags(2)).toEqual(['--max-semi-space-size=2', '--no-concurrent-marking']);
    expect(serverNodeFlags(8)).toEqual(['--max-semi-space-size=2']);
  });

  it('gives flags this Node accepts (an unknown flag would stop `nexus start` before the server runs)', () => {
    for (const cores of [2, 8]) {
      const run = spawnSync(
        process.execPath,
        [...serverNodeFlags(cores), '-e', 'process.stdout.write("ok")'],
        {
          encoding: 'utf8',
        },
      );
      expect({ status: run.status, stdout: run.stdout, stderr: run.stderr }).toEqual({
        status: 0,
        stdout: 'ok',
        stderr: '',
      });
    }
  });
});
