import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { homeDirectory, type NexusAdapter } from '@nexus/parsers';
import { BUNDLED_PLUGINS, defaultAdapters } from './defaults.js';
import { type LoadAdaptersOptions, loadAdapters, type PluginReport } from './load.js';
import { findStores } from './store-host.js';

export const ADAPTERS_HELP = `Usage: nexus adapters [--json] [--config <file>]

List the adapters Nexus would run: the built-in ones, the plugins named in nexus.config.{js,mjs,json}
(state directory, or --config) and the installed nexus-adapter-* / @scope/nexus-adapter-* packages,
with the folders each watches and whether they exist. A plugin that is not found, throws, loads too
slowly, targets another adapter API version or reuses an id is listed with its problem and code.
Exit code: 0 when every plugin loaded, 1 otherwise.

Options:
  --json            Print the list as JSON
  --config <file>   Read this config file instead of the state directory's
  -h, --help        Show this help`;

export interface AdapterListing extends PluginReport {
  readonly roots?: Array<{ path: string; role: 'live' | 'history'; exists: boolean }>;
  readonly rootEnvVars?: readonly string[];
  readonly store?: boolean;
  /** Databases found for an adapter with a store. */
  readonly databases?: string[];
}

export interface AdaptersCommandIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  readonly env: NodeJS.ProcessEnv;
  readonly stateDir: string;
}

/** The adapters with their roots, as `nexus adapters` shows them. */
export async function listAdapters(
  options: Omit<LoadAdaptersOptions, 'builtins'> & {
    builtins?: readonly NexusAdapter[];
    env: NodeJS.ProcessEnv;
  },
): Promise<AdapterListing[]> {
  const { env, ...rest } = options;
  const loaded = await loadAdapters({
    bundled: BUNDLED_PLUGINS,
    ...rest,
    builtins: options.builtins ?? defaultAdapters(),
  });
  const byId = new Map(loaded.adapters.map((adapter) => [adapter.id, adapter]));
  const environment = { env, homeDir: homeDirectory(env), exists: existsSync };
  const stores = await findStores(loaded.adapters, environment);
  return loaded.reports.map((report) => {
    const adapter = report.adapterId && report.status === 'loaded' ? byId.get(report.adapterId) : undefined;
    if (!adapter) return report;
    return {
      ...report,
      roots: adapter
        .resolveRoots(environment)
        .map((root) => ({ path: root.path, role: root.role, exists: existsSync(root.path) })),
      rootEnvVars: adapter.rootEnvVars,
      store: adapter.store !== undefined,
      ...(adapter.store
        ? { databases: stores.filter((found) => found.adapter === adapter).map((found) => found.path) }
        : {}),
    };
  });
}

function table(listings: readonly AdapterListing[], home: string): string {
  const tilde = (path: string) =>
    home && path.startsWith(`${home}/`) ? `~${path.slice(home.length)}` : path;
  const lines: string[] = [];
  for (const item of listings) {
    const head = `${item.adapterId ?? '—'}  ${item.displayName ?? ''}`.trim();
    const from =
      item.source === 'built-in'
        ? 'built-in'
        : `${item.source}: ${item.name}${item.version ? `@${item.version}` : ''}`;
    lines.push(`${item.status === 'loaded' ? '✓' : '✗'} ${head}  [${item.status}] (${from})`);
    if (item.status !== 'loaded') lines.push(`    ${item.error ?? ''}`);
    for (const root of item.roots ?? [])
      lines.push(
        `    ${root.role === 'live' ? 'watches' : 'history'} ${tilde(root.path)}${root.exists ? '' : '  (not there yet)'}`,
      );
    if (item.store)
      lines.push(
        item.databases?.length
          ? `    reads ${item.databases.map(tilde).join(', ')}`
          : '    also reads session databases found under these folders (none yet)',
      );
    if (item.rootEnvVars?.length)
      lines.push(`    override with ${item.rootEnvVars.map((name) => `$${name}`).join(', ')}`);
    if (item.runtime?.disabled) lines.push(`    switched off: ${item.runtime.reason}`);
  }
  return `${lines.join('\n')}\n`;
}

/** `nexus adapters [--json] [--config <file>]`. Returns the exit code. */
export async function runAdaptersCommand(
  argv: string[],
  io: AdaptersCommandIo,
  overrides: Partial<Omit<LoadAdaptersOptions, 'stateDir'>> = {},
): Promise<number> {
  let values: { json?: boolean; config?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        json: { type: 'boolean' },
        config: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    io.stderr.write(`[nexus] [plugins] ${(error as Error).message}\n\n${ADAPTERS_HELP}\n`);
    return 2;
  }
  if (values.help) {
    io.stdout.write(`${ADAPTERS_HELP}\n`);
    return 0;
  }
  const listings = await listAdapters({
    ...overrides,
    env: io.env,
    stateDir: io.stateDir,
    configPath: values.config ?? (io.env.NEXUS_CONFIG || undefined),
  });
  if (values.json) io.stdout.write(`${JSON.stringify(listings, null, 2)}\n`);
  else io.stdout.write(table(listings, homeDirectory(io.env)));
  return listings.every((item) => item.status === 'loaded') ? 0 : 1;
}
