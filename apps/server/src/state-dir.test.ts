import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveStatePaths } from './state-dir.js';

const savedHome = process.env.HOME;
afterEach(() => {
  process.env.HOME = savedHome;
});

describe('resolveStatePaths', () => {
  it('takes NEXUS_STATE_DIR first', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nexus-state-'));
    try {
      expect(resolveStatePaths({ NEXUS_STATE_DIR: dir }).pidFile).toBe(join(dir, 'server.pid'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("uses the account's home when HOME is empty (regression: .nexus under the working folder)", () => {
    // os.homedir() reads this process's own HOME, empty here as some service managers leave it.
    process.env.HOME = '';
    const { dir } = resolveStatePaths({ HOME: '' });
    // The home itself, or the checkout's fallback when that home is not writable; never a relative path.
    const expected = [join(userInfo().homedir, '.nexus'), expect.stringMatching(/^\/.*\/\.nexus-runtime$/)];
    expect(expected).toContainEqual(dir);
  });
});
