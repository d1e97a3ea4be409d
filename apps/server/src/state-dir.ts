import { accessSync, constants, existsSync, mkdirSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Files Nexus keeps in its state directory. */
export interface StatePaths {
  readonly dir: string;
  readonly pidFile: string;
  readonly devFrontendPidFile: string;
  readonly logDir: string;
  readonly serverLog: string;
  readonly frontendLog: string;
}

function findRepoRoot(): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    if (existsSync(join(dir, 'pnpm-workspace.yaml'))) return dir;
    dir = dirname(dir);
  }
  return undefined;
}

function usable(dir: string): boolean {
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** `$NEXUS_STATE_DIR`, else `~/.nexus`, else `<repo>/.nexus-runtime` when home is not writable (DESIGN §6). */
export function resolveStatePaths(env: NodeJS.ProcessEnv = process.env): StatePaths {
  let dir: string;
  if (env.NEXUS_STATE_DIR) dir = resolve(env.NEXUS_STATE_DIR);
  else {
    // Not `homeDirectory` of @nexus/parsers: every command resolves this, and importing the parsers cost
    // `nexus statusline` 20 ms. The same rule: an empty HOME falls back to the account's home.
    const home = join(env.HOME || homedir() || accountHome(), '.nexus');
    const repo = findRepoRoot();
    dir = usable(home) || !repo ? home : join(repo, '.nexus-runtime');
  }
  mkdirSync(join(dir, 'logs'), { recursive: true });
  return {
    dir,
    pidFile: join(dir, 'server.pid'),
    devFrontendPidFile: join(dir, 'dev-frontend.pid'),
    logDir: join(dir, 'logs'),
    serverLog: join(dir, 'logs', 'server.log'),
    frontendLog: join(dir, 'logs', 'frontend.log'),
  };
}

/** The account's home from the user database; '' when the account has none (a uid without an entry). */
function accountHome(): string {
  try {
    return userInfo().homedir;
  } catch {
    return '';
  }
}
