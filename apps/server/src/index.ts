/**
 * @nexus/server — the Fastify host that composes the Nexus packages. Private: used by the CLI and tests.
 */
export { type CreateAppOptions, createApp, type NexusApp } from './app.js';
export {
  assertBindIsSafe,
  DEFAULT_HOST,
  DEFAULT_PORT,
  isLoopbackHost,
  type ServerOptions,
} from './config.js';
export { createEngineRuntime, type Engine, type EngineOptions } from './engine.js';
export { NexusServerError, SERVER_ERRORS, type ServerErrorCode } from './errors.js';
export { createStaticRuntime, type ServerRuntime } from './runtime.js';
export { CLOSE_TOO_SLOW, WebSocketHub } from './ws/hub.js';
