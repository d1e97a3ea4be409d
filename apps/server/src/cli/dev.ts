import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { DEV_WEB_PORT } from '../config.js';
import type { StatePaths } from '../state-dir.js';
import { type CliIo, startDaemon, stopDaemon, stopProcess } from './daemon.js';
import { removePidRecord, runningDaemon, writePidRecord } from './pid-file.js';
import type { ServerFlags } from './server-flags.js';

function webPackageDir(): string | undefined {
  try {
    return dirname(createRequire(import.meta.url).resolve('@nexus/web/package.json'));
  } catch {
    return undefined;
  }
}

/** `nexus dev-start`: the server on its port plus Vite on 5173, proxying /api and /ws to it. */
export async function devStart(flags: ServerFlags, paths: StatePaths, io: CliIo): Promise<number> {
  const webDir = webPackageDir();
  const vite = webDir ? join(webDir, 'node_modules', 'vite', 'bin', 'vite.js') : undefined;
  if (!webDir || !vite || !existsSync(vite)) {
    io.stderr.write(
      '[nexus] dev mode needs the repository checkout with dependencies installed (run ./nexus dev-start from the repo).\n',
    );
    return 1;
  }
  if (runningDaemon(paths.devFrontendPidFile)) {
    io.stderr.write(
      '[nexus] the dev frontend is already running; use `nexus dev-restart` or `nexus dev-stop`.\n',
    );
    return 1;
  }
  const backend = await startDaemon(flags, paths, io, 'dev');
  if (backend !== 0) return backend;

  const logFd = openSync(paths.frontendLog, 'a');
  const child = spawn(
    process.execPath,
    [vite, 'dev', '--port', String(DEV_WEB_PORT), '--strictPort', '--host', '127.0.0.1'],
    {
      cwd: webDir,
      detached: true,
      stdio: ['ignore', logFd, logFd],
      env: { ...io.env, NEXUS_PORT: String(flags.port) },
    },
  );
  closeSync(logFd);
  child.unref();
  const url = `http://127.0.0.1:${DEV_WEB_PORT}`;
  writePidRecord(paths.devFrontendPidFile, {
    pid: child.pid ?? 0,
    host: '127.0.0.1',
    port: DEV_WEB_PORT,
    url,
    startedAt: new Date().toISOString(),
    mode: 'dev',
  });
  io.stdout.write(`Dev frontend (Vite) starting at ${url} — logs: ${paths.frontendLog}\n`);
  return 0;
}

/** `nexus dev-stop`: stop Vite and the server. */
export async function devStop(paths: StatePaths, io: CliIo): Promise<number> {
  const frontend = runningDaemon(paths.devFrontendPidFile);
  if (frontend) {
    await stopProcess(frontend.pid);
    io.stdout.write(`Dev frontend stopped (pid ${frontend.pid}).\n`);
  }
  removePidRecord(paths.devFrontendPidFile);
  return stopDaemon(paths, io);
}
