import { claudeCode } from './adapters/claude-code.js';
import { codex } from './adapters/codex.js';
import { openclaw } from './adapters/openclaw.js';
import type { NexusAdapter } from './contract.js';

/** The adapters Nexus ships with, with default options. */
export function builtinAdapters(): NexusAdapter[] {
  return [claudeCode(), codex(), openclaw()] as NexusAdapter[];
}
