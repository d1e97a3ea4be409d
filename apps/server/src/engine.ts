import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { createStaticRuntime, type ServerRuntime } from './runtime.js';

export interface EngineOptions {
  readonly env: NodeJS.ProcessEnv;
  readonly stateDir: string;
  readonly logger: Logger;
  readonly offline: boolean;
}

export interface Engine {
  readonly runtime: ServerRuntime;
  /** Routes the engine adds to the server (usage reports, plan limits…). */
  readonly plugins: ReadonlyArray<(app: FastifyInstance) => Promise<void> | void>;
}

/** Compose monitors, sessions and usage behind the server's runtime interface. */
export async function createEngineRuntime(_options: EngineOptions): Promise<Engine> {
  return { runtime: createStaticRuntime(), plugins: [] };
}
