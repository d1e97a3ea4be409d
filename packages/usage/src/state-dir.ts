import { join, resolve } from 'node:path';
import { homeDirectory } from '@nexus/parsers';

/** The Nexus state directory: `$NEXUS_STATE_DIR`, else `$HOME/.nexus` (DESIGN §6). */
export function resolveStateDir(env: Readonly<Record<string, string | undefined>> = process.env): string {
  if (env.NEXUS_STATE_DIR) return resolve(env.NEXUS_STATE_DIR);
  return join(homeDirectory(env), '.nexus');
}
