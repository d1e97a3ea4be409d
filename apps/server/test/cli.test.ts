import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const CLI = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

function nexus(args: string[], env: NodeJS.ProcessEnv): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { env: { ...process.env, ...env }, timeout: 60_000 },
      (error, stdout, stderr) => {
        resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
      },
    );
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

describe('nexus CLI lifecycle (built dist, temporary state directory)', () => {
  let stateDir: string;
  let env: NodeJS.ProcessEnv;
  let port: number;

  beforeAll(async () => {
    if (!existsSync(CLI))
      throw new Error(`[nexus] ${CLI} is missing: build @nexus/server first (turbo runs build before test)`);
    stateDir = mkdtempSync(join(tmpdir(), 'nexus-cli-'));
    port = await freePort();
    env = {
      NEXUS_STATE_DIR: stateDir,
      NEXUS_PORT: String(port),
      HOME: join(stateDir, 'home'),
      NEXUS_OFFLINE: '1',
    };
  });

  afterAll(async () => {
    await nexus(['stop'], env);
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('start → status running → second start refused → stop → status stopped', async () => {
    const started = await nexus(['start'], env);
    expect(started.stderr).toBe('');
    expect(started.code).toBe(0);
    expect(started.stdout).toContain(`http://127.0.0.1:${port}`);
    expect(existsSync(join(stateDir, 'server.pid'))).toBe(true);

    const status = await nexus(['status'], env);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/^Nexus is running/);
    expect(status.stdout).toContain('health:  ok');

    const again = await nexus(['start'], env);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already running \(pid \d+\)/);

    const stopped = await nexus(['stop'], env);
    expect(stopped.code).toBe(0);
    expect(stopped.stdout).toMatch(/^Nexus stopped/);
    expect(existsSync(join(stateDir, 'server.pid'))).toBe(false);

    const after = await nexus(['status'], env);
    expect(after.code).toBe(3);
    expect(after.stdout).toMatch(/^Nexus is stopped/);
  });

  it('explains EADDRINUSE with the port and how to find its holder', async () => {
    const held = new Set<import('node:net').Socket>();
    const blocker = createServer((socket) => held.add(socket));
    const busyPort = await new Promise<number>((resolve, reject) => {
      blocker.once('error', reject);
      blocker.listen(0, '127.0.0.1', () => resolve((blocker.address() as { port: number }).port));
    });
    try {
      const result = await nexus(['start', '--port', String(busyPort)], env);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`port ${busyPort} is already in use`);
      expect(result.stderr).toContain(`lsof -i :${busyPort}`);
    } finally {
      for (const socket of held) socket.destroy();
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it('refuses a non-loopback bind without a token', async () => {
    const result = await nexus(['serve', '--host', '0.0.0.0'], env);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('without a token');
  });

  it('prints help for every command', async () => {
    for (const command of [
      'start',
      'stop',
      'restart',
      'status',
      'logs',
      'dev-start',
      'dev-stop',
      'dev-restart',
      'serve',
    ]) {
      const result = await nexus([command, '--help'], env);
      expect(result.code, command).toBe(0);
      expect(result.stdout, command).toMatch(/^Usage: nexus /);
    }
  });
});
