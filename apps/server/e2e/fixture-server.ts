import { rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { HealthResponse } from '@nexus/protocol';
import { createApp } from '../src/app.js';
import { resolveWebDir } from '../src/cli/serve.js';
import { createEngineRuntime } from '../src/engine.js';
import { silentLogger, testOptions } from '../test/helpers.js';
import { createFixtureHome, type FixtureHome } from './fixture-home.js';

export interface FixtureServer {
  fixture: FixtureHome;
  origin: string;
  close(): Promise<void>;
}

/**
 * The real engine (discovery, live sessions, backfilled usage ledger) over a generated HOME, serving
 * the built dashboard. Resolves once the history backfill is done and the live sessions are on the wall.
 */
export async function startFixtureServer(liveSessions = 3): Promise<FixtureServer> {
  const webDir = resolveWebDir(process.env);
  if (!webDir) throw new Error('[nexus] [e2e] apps/web/build is missing: build @nexus/web first');
  const fixture = createFixtureHome();
  const engine = await createEngineRuntime({
    env: { HOME: fixture.home },
    stateDir: join(fixture.home, '.nexus'),
    logger: silentLogger,
    offline: true,
    processLister: { openLogFiles: async () => new Set() },
  });
  const nexus = await createApp({
    options: testOptions({ webDir }),
    runtime: engine.runtime,
    logger: silentLogger,
    plugins: engine.plugins,
  });
  await nexus.app.listen({ host: '127.0.0.1', port: 0 });
  const origin = `http://127.0.0.1:${(nexus.app.server.address() as AddressInfo).port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    const health = (await (await fetch(`${origin}/api/health`)).json()) as HealthResponse;
    const sessions = (await (await fetch(`${origin}/api/sessions`)).json()) as {
      sessions: { parentSessionId?: string }[];
    };
    const main = sessions.sessions.filter((session) => !session.parentSessionId).length;
    if (health.backfill.status === 'done' && main >= liveSessions) break;
    if (Date.now() > deadline) throw new Error('[nexus] [e2e] the fixture server did not settle in 30 s');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    fixture,
    origin,
    async close() {
      await nexus.app.close();
      await engine.runtime.close();
      rmSync(fixture.home, { recursive: true, force: true });
    },
  };
}
