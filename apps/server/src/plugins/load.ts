import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { register } from 'node:module';
import { basename, dirname, isAbsolute, join, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Worker } from 'node:worker_threads';
import { ADAPTER_API_VERSION, type NexusAdapter } from '@nexus/parsers';
import type { PluginErrorCode } from './codes.js';
import { type GuardState, guardAdapter, type PluginFault } from './guard.js';

/** Config file names looked for in the state directory, in this order. */
export const CONFIG_FILES = ['nexus.config.js', 'nexus.config.mjs', 'nexus.config.json'] as const;

const PLUGIN_NAME = /^(?:@[^/]+\/)?nexus-adapter-[^/]+$/;
const ID = /^[a-z0-9][a-z0-9-]*$/;

/** One entry of `adapters` in a config file. */
export type AdapterEntry =
  | string
  | { readonly module: string; readonly options?: unknown }
  | ((options?: unknown) => unknown)
  | NexusAdapter;

/** The shape of `nexus.config.{js,mjs,json}`. */
export interface NexusConfig {
  /** Packages (by name) or files (path relative to the config file) to load, optionally with factory options. */
  readonly adapters?: readonly AdapterEntry[];
  /** Also load installed `nexus-adapter-*` and `@*\/nexus-adapter-*` packages. Default true. */
  readonly discover?: boolean;
}

export type PluginStatus = 'loaded' | 'not-found' | 'failed' | 'timeout' | 'incompatible' | 'duplicate';

/** What became of one adapter source (a built-in, a config entry or an installed package). */
export interface PluginReport {
  /** Package name, file, or `built-in`. */
  readonly name: string;
  readonly source: 'built-in' | 'config' | 'discovered';
  readonly status: PluginStatus;
  readonly adapterId?: string;
  readonly displayName?: string;
  readonly apiVersion?: number;
  /** Resolved module file. */
  readonly file?: string;
  readonly version?: string;
  readonly code?: PluginErrorCode;
  readonly error?: string;
  /** Run-time state of a loaded plugin's adapter (faults, switched off). */
  readonly runtime?: GuardState;
}

export interface LoadAdaptersOptions {
  /** Adapters Nexus brings itself; they come first and their ids are taken. */
  readonly builtins: readonly NexusAdapter[];
  readonly stateDir: string;
  /** `--config <file>`; else the first of {@link CONFIG_FILES} in the state directory. */
  readonly configPath?: string | undefined;
  /** Folders whose `node_modules` (or which, named `node_modules`) are searched; default {@link defaultDiscoveryDirs}. */
  readonly discoveryDirs?: readonly string[];
  /** Package names never loaded as plugins (bundled with Nexus). */
  readonly bundled?: readonly string[];
  /** Loading one plugin (probe, import, factory) may take this long. Default 5 s. */
  readonly timeoutMs?: number;
  /** Run-time faults of plugin adapters. */
  readonly onFault?: (fault: PluginFault) => void;
  readonly guard?: { readonly maxFaults?: number; readonly slowCallMs?: number };
}

export interface LoadedAdapters {
  readonly adapters: NexusAdapter[];
  readonly reports: PluginReport[];
  /** The config file read, if any. */
  readonly configFile?: string;
}

/** Where installed plugins are looked for: the state directory, then Nexus's own install and its parents. */
/** Nexus's own `node_modules` (the server package's, where the monorepo links its plugins). */
const SHIPPED_MODULES = join(fileURLToPath(new URL('../..', import.meta.url)), 'node_modules') + sep;

export function defaultDiscoveryDirs(stateDir: string): string[] {
  const dirs = [stateDir];
  let dir = fileURLToPath(new URL('../..', import.meta.url));
  for (let i = 0; i < 12; i++) {
    dirs.push(dir);
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return dirs;
}

/** The resolve hook and what it maps `@nexus/parsers` to; absent when running from TypeScript sources. */
function parsersFallback(): { hook: string; parsersUrl: string } | undefined {
  const hook = new URL('./resolve-hook.js', import.meta.url);
  if (!import.meta.url.endsWith('.js') || !existsSync(hook)) return undefined;
  try {
    return { hook: hook.href, parsersUrl: import.meta.resolve('@nexus/parsers') };
  } catch {
    return undefined;
  }
}

let fallbackRegistered = false;

/**
 * A plugin written against the docs imports `@nexus/parsers`; installed on its own (`npm install --prefix
 * ~/.nexus`, or a copied folder) it may have no copy of it. Lend it ours rather than fail to load it.
 */
function lendParsers(fallback: { hook: string; parsersUrl: string } | undefined): void {
  if (!fallback || fallbackRegistered) return;
  fallbackRegistered = true;
  register(fallback.hook, { data: { parsersUrl: fallback.parsersUrl } });
}

class PluginError extends Error {
  constructor(
    readonly code: PluginErrorCode,
    readonly status: PluginStatus,
    message: string,
  ) {
    super(message);
  }
}

/** `node_modules` folders to search from the given folders (a folder named `node_modules` is one itself). */
function nodeModulesDirs(dirs: readonly string[]): string[] {
  const found: string[] = [];
  for (const dir of dirs) {
    for (const candidate of basename(dir) === 'node_modules' ? [dir] : [join(dir, 'node_modules')]) {
      if (!found.includes(candidate) && existsSync(candidate)) found.push(candidate);
    }
  }
  return found;
}

/** Installed plugin packages (`nexus-adapter-*`, `@scope/nexus-adapter-*`), first found wins. */
export function discoverPlugins(dirs: readonly string[]): Array<{ name: string; dir: string }> {
  const seen = new Map<string, string>();
  const consider = (name: string, dir: string) => {
    if (PLUGIN_NAME.test(name) && !seen.has(name) && existsSync(join(dir, 'package.json')))
      seen.set(name, dir);
  };
  for (const modules of nodeModulesDirs(dirs)) {
    let entries: string[];
    try {
      entries = readdirSync(modules).sort();
    } catch {
      continue;
    }
    for (const entry of entries) {
      if (entry.startsWith('@')) {
        let scoped: string[] = [];
        try {
          scoped = readdirSync(join(modules, entry)).sort();
        } catch {}
        for (const name of scoped) consider(`${entry}/${name}`, join(modules, entry, name));
      } else consider(entry, join(modules, entry));
    }
  }
  return [...seen].map(([name, dir]) => ({ name, dir }));
}

interface PackageJson {
  readonly name?: string;
  readonly version?: string;
  readonly exports?: unknown;
  readonly module?: string;
  readonly main?: string;
}

function exportTarget(exports: unknown): string | undefined {
  if (typeof exports === 'string') return exports;
  if (Array.isArray(exports)) return exports.map(exportTarget).find(Boolean);
  if (typeof exports !== 'object' || exports === null) return undefined;
  const map = exports as Record<string, unknown>;
  if ('.' in map) return exportTarget(map['.']);
  // Conditions Node would use to import a package, in its order of preference.
  for (const condition of ['node', 'import', 'default']) {
    if (condition in map) {
      const target = exportTarget(map[condition]);
      if (target) return target;
    }
  }
  return undefined;
}

/** The file Node would import for a package folder, and its package.json. */
function packageEntry(dir: string): { file: string; pkg: PackageJson } {
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as PackageJson;
  const target = exportTarget(pkg.exports) ?? pkg.module ?? pkg.main ?? 'index.js';
  return { file: resolve(dir, target), pkg };
}

/** A package folder by name, from the first base whose `node_modules` chain has it. */
function findPackage(name: string, bases: readonly string[]): string | undefined {
  for (const base of bases) {
    let dir = resolve(base);
    for (;;) {
      const candidate = basename(dir) === 'node_modules' ? join(dir, name) : join(dir, 'node_modules', name);
      if (existsSync(join(candidate, 'package.json'))) return candidate;
      const parent = dirname(dir);
      if (parent === dir) break;
      dir = parent;
    }
  }
  return undefined;
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new PluginError('NEXUS_PLUGIN_TIMEOUT', 'timeout', `${what} took longer than ${ms} ms`)),
        ms,
      );
    }),
  ]);
}

/**
 * Import the module in a throw-away thread first: a module that blocks while it loads (a busy loop at
 * top level) would otherwise freeze Nexus for good. The thread is terminated at the deadline.
 */
function probe(file: string, options: unknown, timeoutMs: number): Promise<void> {
  const fallback = parsersFallback();
  const source = `
    const { parentPort, workerData } = require('node:worker_threads');
    if (workerData.hook) require('node:module').register(workerData.hook, { data: { parsersUrl: workerData.parsersUrl } });
    import(workerData.url).then(async (module) => {
      const exported = module.default;
      const adapter = typeof exported === 'function' ? await exported(workerData.options) : exported;
      parentPort.postMessage({ ok: true, apiVersion: adapter && adapter.apiVersion, id: adapter && adapter.id });
    }).catch((error) => parentPort.postMessage({ ok: false, error: String(error && error.message || error) }));`;
  // Loaded on first use: plugins shipped with Nexus are not probed, and `nexus usage` loads this module.
  const { Worker } = process.getBuiltinModule('node:worker_threads');
  return new Promise<void>((resolvePromise, reject) => {
    let worker: Worker;
    try {
      worker = new Worker(source, {
        eval: true,
        workerData: {
          url: pathToFileURL(file).href,
          options: structuredCloneable(options),
          ...(fallback ? { hook: fallback.hook, parsersUrl: fallback.parsersUrl } : {}),
        },
        stdout: true,
        stderr: true,
        // The host's own flags (a test runner's source conditions, say) are not the plugin's business.
        execArgv: [],
      });
    } catch (error) {
      reject(new PluginError('NEXUS_PLUGIN_LOAD_FAILED', 'failed', (error as Error).message));
      return;
    }
    const timer = setTimeout(() => {
      void worker.terminate();
      reject(
        new PluginError(
          'NEXUS_PLUGIN_TIMEOUT',
          'timeout',
          `loading took longer than ${timeoutMs} ms (still running; stopped)`,
        ),
      );
    }, timeoutMs);
    worker.once('message', (reply: { ok: boolean; error?: string }) => {
      clearTimeout(timer);
      void worker.terminate();
      if (reply.ok) resolvePromise();
      else reject(new PluginError('NEXUS_PLUGIN_LOAD_FAILED', 'failed', `loading threw: ${reply.error}`));
    });
    worker.once('error', (error) => {
      clearTimeout(timer);
      reject(new PluginError('NEXUS_PLUGIN_LOAD_FAILED', 'failed', `loading threw: ${error.message}`));
    });
    // A thread that ends without answering was awaiting a promise nothing can resolve: it would hang here too.
    worker.once('exit', () => {
      clearTimeout(timer);
      reject(
        new PluginError(
          'NEXUS_PLUGIN_TIMEOUT',
          'timeout',
          'loading never finished (it awaits a promise nothing resolves)',
        ),
      );
    });
  });
}

/** Options cross into the probe thread only if they survive a structured clone (functions do not). */
function structuredCloneable(value: unknown): unknown {
  try {
    return structuredClone(value);
  } catch {
    return undefined;
  }
}

/** Why an object is not a usable adapter of this API version, or `undefined` when it is. */
export function adapterProblem(value: unknown): { code: PluginErrorCode; message: string } | undefined {
  if (typeof value !== 'object' || value === null)
    return {
      code: 'NEXUS_PLUGIN_INCOMPATIBLE',
      message: 'the default export did not produce an adapter object',
    };
  const adapter = value as Partial<NexusAdapter>;
  if (typeof adapter.apiVersion !== 'number')
    return { code: 'NEXUS_PLUGIN_INCOMPATIBLE', message: 'the adapter declares no apiVersion' };
  if (Math.trunc(adapter.apiVersion) !== ADAPTER_API_VERSION)
    return {
      code: 'NEXUS_PLUGIN_INCOMPATIBLE',
      message: `targets adapter API ${adapter.apiVersion}, this Nexus speaks ${ADAPTER_API_VERSION}: use a release of the plugin for API ${ADAPTER_API_VERSION}, or a Nexus for API ${adapter.apiVersion}`,
    };
  const missing = [
    typeof adapter.id === 'string' && ID.test(adapter.id) ? undefined : 'id (kebab-case)',
    typeof adapter.displayName === 'string' ? undefined : 'displayName',
    Array.isArray(adapter.rootEnvVars) ? undefined : 'rootEnvVars',
    typeof adapter.resolveRoots === 'function' ? undefined : 'resolveRoots()',
    typeof adapter.classifyFile === 'function' ? undefined : 'classifyFile()',
    typeof adapter.createParser === 'function' ? undefined : 'createParser()',
    typeof adapter.liveness === 'object' && typeof adapter.liveness?.recentWindowMs === 'number'
      ? undefined
      : 'liveness.recentWindowMs',
  ].filter(Boolean);
  if (missing.length > 0)
    return { code: 'NEXUS_PLUGIN_INCOMPATIBLE', message: `the adapter lacks ${missing.join(', ')}` };
  return undefined;
}

/** Read `nexus.config.{js,mjs,json}` (or the given file). */
export async function readConfig(
  stateDir: string,
  configPath?: string,
): Promise<{ config: NexusConfig; file?: string }> {
  const file = configPath
    ? resolve(configPath)
    : CONFIG_FILES.map((name) => join(stateDir, name)).find((candidate) => existsSync(candidate));
  if (!file) return { config: {} };
  let raw: unknown;
  try {
    if (file.endsWith('.json')) raw = JSON.parse(readFileSync(file, 'utf8'));
    else {
      // A changed config is read again by the next start, not from the module cache.
      const url = `${pathToFileURL(file).href}?mtime=${statSync(file).mtimeMs}`;
      raw = ((await import(url)) as { default?: unknown }).default;
    }
  } catch (error) {
    throw new PluginError(
      'NEXUS_PLUGIN_CONFIG_INVALID',
      'failed',
      `[nexus] [plugins] ${file}: ${(error as Error).message}`,
    );
  }
  const config = raw as NexusConfig;
  if (
    typeof raw !== 'object' ||
    raw === null ||
    (config.adapters !== undefined && !Array.isArray(config.adapters)) ||
    (config.discover !== undefined && typeof config.discover !== 'boolean')
  ) {
    throw new PluginError(
      'NEXUS_PLUGIN_CONFIG_INVALID',
      'failed',
      `[nexus] [plugins] ${file}: expected { "adapters": [ "<package or ./file>", … ], "discover": true|false }`,
    );
  }
  return { config, file };
}

interface Candidate {
  readonly name: string;
  readonly source: 'config' | 'discovered';
  readonly options?: unknown;
  /** Module file to import. */
  readonly file?: string;
  readonly version?: string;
  /** A factory or adapter given directly in a JS config. */
  readonly value?: unknown;
  readonly problem?: PluginError;
  /**
   * Installed with Nexus itself (in its own `node_modules`, as the monorepo's plugins are): trusted like
   * the bundled ones, imported without a probe thread and able to resolve `@nexus/parsers` on their own.
   */
  readonly shipped?: boolean;
}

function candidateFor(
  entry: AdapterEntry,
  index: number,
  configFile: string,
  bases: readonly string[],
): Candidate {
  if (typeof entry === 'function' || (typeof entry === 'object' && entry !== null && !('module' in entry))) {
    const name = `${basename(configFile)} adapters[${index}]`;
    return { name, source: 'config', value: entry };
  }
  const spec = typeof entry === 'string' ? entry : entry?.module;
  const options =
    typeof entry === 'object' && entry !== null && 'options' in entry ? entry.options : undefined;
  if (typeof spec !== 'string' || spec === '')
    return {
      name: `${basename(configFile)} adapters[${index}]`,
      source: 'config',
      problem: new PluginError('NEXUS_PLUGIN_CONFIG_INVALID', 'failed', 'an entry names no module'),
    };
  const isPath = spec.startsWith('.') || isAbsolute(spec) || spec.startsWith('file:');
  if (isPath) {
    const file = spec.startsWith('file:') ? fileURLToPath(spec) : resolve(dirname(configFile), spec);
    if (!existsSync(file))
      return {
        name: spec,
        source: 'config',
        options,
        problem: new PluginError('NEXUS_PLUGIN_NOT_FOUND', 'not-found', `no file ${file}`),
      };
    if (statSync(file).isDirectory()) {
      const entryFile = packageEntry(file);
      return {
        name: entryFile.pkg.name ?? spec,
        source: 'config',
        options,
        file: entryFile.file,
        ...(entryFile.pkg.version ? { version: entryFile.pkg.version } : {}),
      };
    }
    return { name: spec, source: 'config', options, file };
  }
  const dir = findPackage(spec, [dirname(configFile), ...bases]);
  if (!dir)
    return {
      name: spec,
      source: 'config',
      options,
      problem: new PluginError(
        'NEXUS_PLUGIN_NOT_FOUND',
        'not-found',
        `package ${spec} is not installed (install it next to the config, or with npm install --prefix <state dir>)`,
      ),
    };
  const { file, pkg } = packageEntry(dir);
  return { name: spec, source: 'config', options, file, ...(pkg.version ? { version: pkg.version } : {}) };
}

/**
 * The adapters Nexus runs: the built-ins, then the plugins listed in the config, then installed
 * `nexus-adapter-*` packages. Every plugin problem is reported with the plugin's name and a stable code
 * and leaves that plugin out; nothing here throws.
 */
export async function loadAdapters(options: LoadAdaptersOptions): Promise<LoadedAdapters> {
  const timeoutMs = options.timeoutMs ?? 5000;
  const reports: PluginReport[] = [];
  const adapters: NexusAdapter[] = [...options.builtins];
  const taken = new Map(options.builtins.map((adapter) => [adapter.id, 'built-in']));
  for (const adapter of options.builtins)
    reports.push({
      name: 'built-in',
      source: 'built-in',
      status: 'loaded',
      adapterId: adapter.id,
      displayName: adapter.displayName,
      apiVersion: adapter.apiVersion,
    });

  const discoveryDirs = options.discoveryDirs ?? defaultDiscoveryDirs(options.stateDir);
  let config: NexusConfig = {};
  let configFile: string | undefined;
  try {
    ({ config, file: configFile } = await readConfig(options.stateDir, options.configPath));
  } catch (error) {
    const problem = error as PluginError;
    reports.push({
      name: options.configPath ?? 'nexus.config',
      source: 'config',
      status: 'failed',
      code: problem.code ?? 'NEXUS_PLUGIN_CONFIG_INVALID',
      error: problem.message,
    });
  }

  const candidates: Candidate[] = (config.adapters ?? []).map((entry, index) =>
    candidateFor(entry, index, configFile ?? join(options.stateDir, 'nexus.config.json'), discoveryDirs),
  );
  if (config.discover !== false) {
    const named = new Set(candidates.map((candidate) => candidate.name));
    for (const found of discoverPlugins(discoveryDirs)) {
      if (named.has(found.name) || options.bundled?.includes(found.name)) continue;
      try {
        const { file, pkg } = packageEntry(found.dir);
        candidates.push({
          name: found.name,
          source: 'discovered',
          file,
          ...(pkg.version ? { version: pkg.version } : {}),
          ...(found.dir.startsWith(SHIPPED_MODULES) ? { shipped: true } : {}),
        });
      } catch (error) {
        candidates.push({
          name: found.name,
          source: 'discovered',
          problem: new PluginError(
            'NEXUS_PLUGIN_LOAD_FAILED',
            'failed',
            `unreadable package.json: ${(error as Error).message}`,
          ),
        });
      }
    }
  }

  // A probe thread and the resolve hook each cost tens of milliseconds at every start (and `nexus usage`
  // is a start): plugins shipped with Nexus need neither.
  if (candidates.some((candidate) => candidate.file && !candidate.shipped)) lendParsers(parsersFallback());
  // Probe threads run side by side: loading ten plugins costs about as much as loading one.
  const probes = candidates.map((candidate) =>
    candidate.file && !candidate.problem && !candidate.shipped
      ? probe(candidate.file, candidate.options, timeoutMs).then(
          () => undefined,
          (error: unknown) => error,
        )
      : Promise.resolve(undefined),
  );
  for (const [index, candidate] of candidates.entries()) {
    const base = {
      name: candidate.name,
      source: candidate.source,
      ...(candidate.file ? { file: candidate.file } : {}),
      ...(candidate.version ? { version: candidate.version } : {}),
    };
    try {
      if (candidate.problem) throw candidate.problem;
      let value = candidate.value;
      if (candidate.file) {
        const failed = await probes[index];
        if (failed) throw failed;
        const module = (await withTimeout(
          import(pathToFileURL(candidate.file).href),
          timeoutMs,
          'importing',
        )) as { default?: unknown };
        value = module.default;
      }
      const produced =
        typeof value === 'function'
          ? await withTimeout(
              Promise.resolve().then(() => (value as (options?: unknown) => unknown)(candidate.options)),
              timeoutMs,
              'the factory',
            )
          : value;
      const problem = adapterProblem(produced);
      if (problem) throw new PluginError(problem.code, 'incompatible', problem.message);
      const adapter = produced as NexusAdapter;
      const owner = taken.get(adapter.id);
      if (owner)
        throw new PluginError(
          'NEXUS_PLUGIN_DUPLICATE_ID',
          'duplicate',
          `adapter id ${adapter.id} is already used by ${owner}`,
        );
      taken.set(adapter.id, candidate.name);
      const guarded = guardAdapter(adapter, {
        plugin: candidate.name,
        onFault: options.onFault ?? (() => {}),
        ...options.guard,
      });
      adapters.push(guarded.adapter);
      reports.push({
        ...base,
        status: 'loaded',
        adapterId: adapter.id,
        displayName: adapter.displayName,
        apiVersion: adapter.apiVersion,
        runtime: guarded.state,
      });
    } catch (error) {
      const problem =
        error instanceof PluginError
          ? error
          : new PluginError(
              'NEXUS_PLUGIN_LOAD_FAILED',
              'failed',
              `threw ${(error as Error)?.message ?? String(error)}`,
            );
      reports.push({
        ...base,
        status: problem.status,
        code: problem.code,
        error: problem.message.startsWith('[nexus]')
          ? problem.message
          : `[nexus] [plugins] ${candidate.name}: ${problem.message} (${problem.code})`,
      });
    }
  }
  return { adapters, reports, ...(configFile ? { configFile } : {}) };
}
