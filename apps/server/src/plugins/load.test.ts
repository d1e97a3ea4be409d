import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { builtinAdapters, type NexusAdapter } from '@nexus/parsers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runAdaptersCommand } from './adapters-command.js';
import { guardAdapter, type PluginFault } from './guard.js';
import { discoverPlugins, loadAdapters } from './load.js';

let dir: string;

/** A plugin module: a minimal adapter for a `.toy` agent, with the given id and API version. */
const pluginSource = (id: string, apiVersion = 1, extra = '') => `${extra}
export default function factory(options = {}) {
  return {
    apiVersion: ${apiVersion},
    id: ${JSON.stringify(id)},
    displayName: ${JSON.stringify(`Agent ${id}`)},
    rootEnvVars: [],
    resolveRoots: ({ homeDir }) => [{ path: (options.root ?? homeDir + '/.${id}'), role: 'live' }],
    classifyFile: (path) => path.endsWith('.jsonl') ? { sessionId: '${id}:' + path.slice(0, -6), kind: 'session', group: '' } : null,
    createParser: () => ({ parseLine: () => [], snapshot: () => ({}), restore() {} }),
    liveness: { processNames: [], recentWindowMs: 60000 },
  };
}`;

function write(path: string, content: string): string {
  const file = join(dir, path);
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, content);
  return file;
}

/** An installed package: node_modules/<name>/{package.json,index.mjs}. */
function installPackage(base: string, name: string, source: string, version = '1.2.3'): void {
  write(
    `${base}/node_modules/${name}/package.json`,
    JSON.stringify({ name, version, type: 'module', exports: { '.': { default: './index.mjs' } } }),
  );
  write(`${base}/node_modules/${name}/index.mjs`, source);
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'nexus-plugins-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const builtins = () => builtinAdapters();
const summary = (reports: Awaited<ReturnType<typeof loadAdapters>>['reports']) =>
  reports
    .filter((report) => report.source !== 'built-in')
    .map((report) => [report.name, report.source, report.status, report.adapterId ?? report.code]);

describe('plugin loading', () => {
  it('loads adapters listed in nexus.config.json, by file and by package name, with factory options', async () => {
    write('state/plugins/local.mjs', pluginSource('local-agent'));
    installPackage('state', 'nexus-adapter-remote', pluginSource('remote-agent'));
    write(
      'state/nexus.config.json',
      JSON.stringify({
        adapters: [
          './plugins/local.mjs',
          { module: 'nexus-adapter-remote', options: { root: '/srv/remote' } },
        ],
        discover: false,
      }),
    );
    const loaded = await loadAdapters({
      builtins: builtins(),
      stateDir: join(dir, 'state'),
      discoveryDirs: [],
    });
    expect(loaded.configFile).toBe(join(dir, 'state/nexus.config.json'));
    expect(loaded.adapters.map((adapter) => adapter.id)).toEqual([
      'claude-code',
      'codex',
      'openclaw',
      'local-agent',
      'remote-agent',
    ]);
    expect(summary(loaded.reports)).toEqual([
      ['./plugins/local.mjs', 'config', 'loaded', 'local-agent'],
      ['nexus-adapter-remote', 'config', 'loaded', 'remote-agent'],
    ]);
    const remote = loaded.adapters[4]!;
    expect(remote.resolveRoots({ env: {}, homeDir: '/home/x', exists: () => false })).toEqual([
      { path: '/srv/remote', role: 'live' },
    ]);
    expect(loaded.reports.find((report) => report.name === 'nexus-adapter-remote')?.version).toBe('1.2.3');
  });

  it('reads a JS config (--config) that gives factories directly', async () => {
    const config = write(
      'elsewhere/my.config.mjs',
      `import { pathToFileURL } from 'node:url';
       const factory = (await import(pathToFileURL(${JSON.stringify(join(dir, 'p.mjs'))}).href)).default;
       export default { adapters: [factory], discover: false };`,
    );
    write('p.mjs', pluginSource('inline-agent'));
    const loaded = await loadAdapters({
      builtins: [],
      stateDir: join(dir, 'state'),
      configPath: config,
      discoveryDirs: [],
    });
    expect(summary(loaded.reports)).toEqual([
      ['my.config.mjs adapters[0]', 'config', 'loaded', 'inline-agent'],
    ]);
  });

  it('discovers installed nexus-adapter-* and @scope/nexus-adapter-* packages, skipping bundled ones', async () => {
    installPackage('project', 'nexus-adapter-alpha', pluginSource('alpha'));
    installPackage('project', '@acme/nexus-adapter-beta', pluginSource('beta'));
    installPackage('project', 'nexus-adapter-bundled', pluginSource('bundled'));
    installPackage('project', 'not-a-plugin', pluginSource('nope'));
    installPackage('project', '@acme/other', pluginSource('nope2'));
    expect(discoverPlugins([join(dir, 'project')]).map((found) => found.name)).toEqual([
      '@acme/nexus-adapter-beta',
      'nexus-adapter-alpha',
      'nexus-adapter-bundled',
    ]);
    const loaded = await loadAdapters({
      builtins: [],
      stateDir: join(dir, 'state'),
      discoveryDirs: [join(dir, 'project'), join(dir, 'project/node_modules')],
      bundled: ['nexus-adapter-bundled'],
    });
    expect(summary(loaded.reports)).toEqual([
      ['@acme/nexus-adapter-beta', 'discovered', 'loaded', 'beta'],
      ['nexus-adapter-alpha', 'discovered', 'loaded', 'alpha'],
    ]);
  });

  it('isolates incompatible, throwing, slow, duplicate and missing plugins; the others load', async () => {
    installPackage('project', 'nexus-adapter-future', pluginSource('future', 2));
    installPackage(
      'project',
      'nexus-adapter-hollow',
      'export default () => ({ apiVersion: 1, id: "hollow" });',
    );
    installPackage('project', 'nexus-adapter-explodes', 'export default () => { throw new Error("boom"); };');
    installPackage('project', 'nexus-adapter-broken', 'throw new Error("cannot load"); export default 1;');
    installPackage('project', 'nexus-adapter-spins', `${pluginSource('spins')}\nwhile (true) {}`);
    installPackage('project', 'nexus-adapter-hangs', 'export default () => new Promise(() => {});');
    installPackage('project', 'nexus-adapter-twin', pluginSource('codex'));
    installPackage('project', 'nexus-adapter-good', pluginSource('good'));
    write(
      'state/nexus.config.json',
      JSON.stringify({ adapters: ['nexus-adapter-missing', './nowhere.mjs'] }),
    );
    const started = Date.now();
    const loaded = await loadAdapters({
      builtins: builtins(),
      stateDir: join(dir, 'state'),
      discoveryDirs: [join(dir, 'project')],
      // Generous for a loaded CI machine; only the plugin that spins waits for it.
      timeoutMs: 3000,
    });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(loaded.adapters.map((adapter) => adapter.id)).toEqual([
      'claude-code',
      'codex',
      'openclaw',
      'good',
    ]);
    expect(summary(loaded.reports)).toEqual([
      ['nexus-adapter-missing', 'config', 'not-found', 'NEXUS_PLUGIN_NOT_FOUND'],
      ['./nowhere.mjs', 'config', 'not-found', 'NEXUS_PLUGIN_NOT_FOUND'],
      ['nexus-adapter-broken', 'discovered', 'failed', 'NEXUS_PLUGIN_LOAD_FAILED'],
      ['nexus-adapter-explodes', 'discovered', 'failed', 'NEXUS_PLUGIN_LOAD_FAILED'],
      ['nexus-adapter-future', 'discovered', 'incompatible', 'NEXUS_PLUGIN_INCOMPATIBLE'],
      ['nexus-adapter-good', 'discovered', 'loaded', 'good'],
      ['nexus-adapter-hangs', 'discovered', 'timeout', 'NEXUS_PLUGIN_TIMEOUT'],
      ['nexus-adapter-hollow', 'discovered', 'incompatible', 'NEXUS_PLUGIN_INCOMPATIBLE'],
      ['nexus-adapter-spins', 'discovered', 'timeout', 'NEXUS_PLUGIN_TIMEOUT'],
      ['nexus-adapter-twin', 'discovered', 'duplicate', 'NEXUS_PLUGIN_DUPLICATE_ID'],
    ]);
    const error = (name: string) => loaded.reports.find((report) => report.name === name)?.error;
    expect(error('nexus-adapter-future')).toBe(
      '[nexus] [plugins] nexus-adapter-future: targets adapter API 2, this Nexus speaks 1: use a release of the plugin for API 1, or a Nexus for API 2 (NEXUS_PLUGIN_INCOMPATIBLE)',
    );
    expect(error('nexus-adapter-explodes')).toBe(
      '[nexus] [plugins] nexus-adapter-explodes: loading threw: boom (NEXUS_PLUGIN_LOAD_FAILED)',
    );
    expect(error('nexus-adapter-hollow')).toBe(
      '[nexus] [plugins] nexus-adapter-hollow: the adapter lacks displayName, rootEnvVars, resolveRoots(), classifyFile(), createParser(), liveness.recentWindowMs (NEXUS_PLUGIN_INCOMPATIBLE)',
    );
    expect(error('nexus-adapter-twin')).toBe(
      '[nexus] [plugins] nexus-adapter-twin: adapter id codex is already used by built-in (NEXUS_PLUGIN_DUPLICATE_ID)',
    );
    expect(error('nexus-adapter-spins')).toBe(
      '[nexus] [plugins] nexus-adapter-spins: loading took longer than 3000 ms (still running; stopped) (NEXUS_PLUGIN_TIMEOUT)',
    );
  });

  it('reports an unreadable config and still loads installed plugins', async () => {
    write('state/nexus.config.json', '{ "adapters": [ nope ] }');
    installPackage('project', 'nexus-adapter-good', pluginSource('good'));
    const loaded = await loadAdapters({
      builtins: [],
      stateDir: join(dir, 'state'),
      discoveryDirs: [join(dir, 'project')],
    });
    expect(summary(loaded.reports)).toEqual([
      ['nexus.config', 'config', 'failed', 'NEXUS_PLUGIN_CONFIG_INVALID'],
      ['nexus-adapter-good', 'discovered', 'loaded', 'good'],
    ]);
  });
});

describe('run-time isolation', () => {
  const toy: NexusAdapter = {
    apiVersion: 1,
    id: 'toy',
    displayName: 'Toy',
    rootEnvVars: [],
    resolveRoots: () => {
      throw new Error('no home');
    },
    classifyFile: (path) =>
      path === 'bad' ? ({ kind: 'weird' } as never) : { sessionId: 'toy:a', kind: 'session', group: '' },
    createParser: () => ({
      parseLine: (line) => {
        if (line === 'throw') throw new Error('parser bug');
        if (line === 'garbage') return 'not a list' as never;
        return [{ type: 'activity', sessionId: 'toy:a', turn: 'open' }];
      },
      snapshot: () => ({}),
      restore: () => {},
    }),
    liveness: { processNames: [], recentWindowMs: 1000 },
  };
  const file = {
    sessionId: 'toy:a',
    kind: 'session',
    group: '',
    tool: 'toy',
    path: '/x/a.jsonl',
    root: '/x',
  } as const;

  it('turns throws and malformed results into faults, then switches the adapter off after maxFaults', () => {
    const faults: PluginFault[] = [];
    const { adapter, state } = guardAdapter(toy, {
      plugin: 'nexus-adapter-toy',
      onFault: (f) => faults.push(f),
      maxFaults: 4,
    });
    expect(adapter.resolveRoots({ env: {}, homeDir: '/h', exists: () => true })).toEqual([]);
    expect(adapter.classifyFile('bad', { path: '/x', role: 'live' })).toBeNull();
    const parser = adapter.createParser(file, { report: () => {} });
    expect(parser.parseLine('ok', { byteOffset: 0 })).toEqual([
      { type: 'activity', sessionId: 'toy:a', turn: 'open' },
    ]);
    expect(parser.parseLine('throw', { byteOffset: 3 })).toEqual([]);
    expect(parser.parseLine('garbage', { byteOffset: 9 })).toEqual([]);
    expect(state).toEqual({ faults: 4, disabled: true, reason: '4 faults' });
    // Switched off: nothing more is asked of it.
    expect(parser.parseLine('ok', { byteOffset: 20 })).toEqual([]);
    expect(adapter.classifyFile('good.jsonl', { path: '/x', role: 'live' })).toBeNull();
    expect(faults.map((fault) => [fault.code, fault.message])).toEqual([
      ['NEXUS_PLUGIN_FAULT', '[nexus] [plugins] nexus-adapter-toy (adapter toy) resolveRoots: threw no home'],
      [
        'NEXUS_PLUGIN_FAULT',
        '[nexus] [plugins] nexus-adapter-toy (adapter toy) classifyFile: returned a value of the wrong shape',
      ],
      ['NEXUS_PLUGIN_FAULT', '[nexus] [plugins] nexus-adapter-toy (adapter toy) parseLine: threw parser bug'],
      [
        'NEXUS_PLUGIN_FAULT',
        '[nexus] [plugins] nexus-adapter-toy (adapter toy) parseLine: returned a value of the wrong shape',
      ],
      [
        'NEXUS_PLUGIN_DISABLED',
        '[nexus] [plugins] nexus-adapter-toy (adapter toy) switched off: 4 faults. Nexus keeps running without it.',
      ],
    ]);
  });

  it('switches off an adapter whose call stalls the host', () => {
    let clock = 0;
    const slow: NexusAdapter = {
      ...toy,
      createParser: () => ({
        parseLine: () => {
          clock += 2500;
          return [];
        },
        snapshot: () => ({}),
        restore: () => {},
      }),
    };
    const faults: PluginFault[] = [];
    const { adapter, state } = guardAdapter(slow, {
      plugin: 'slowpoke',
      onFault: (f) => faults.push(f),
      now: () => clock,
    });
    adapter.createParser(file, { report: () => {} }).parseLine('x', { byteOffset: 0 });
    expect(state.disabled).toBe(true);
    expect(faults.map((fault) => fault.message)).toEqual([
      '[nexus] [plugins] slowpoke (adapter toy) switched off: parseLine took 2500 ms (limit 1000 ms). Nexus keeps running without it.',
    ]);
  });
});

describe('nexus adapters', () => {
  it('lists built-ins and plugins with roots and problems, as JSON, and exits 1 when a plugin failed', async () => {
    installPackage('state', 'nexus-adapter-good', pluginSource('good'));
    installPackage('state', 'nexus-adapter-future', pluginSource('future', 3));
    write('.openclaw/agents/main/agent/openclaw-agent.sqlite', '');
    let out = '';
    const code = await runAdaptersCommand(
      ['--json'],
      {
        stdout: { write: (chunk: string) => (out += chunk) } as unknown as NodeJS.WritableStream,
        stderr: process.stderr,
        env: { HOME: dir },
        stateDir: join(dir, 'state'),
      },
      { discoveryDirs: [join(dir, 'state')] },
    );
    expect(code).toBe(1);
    const listing = JSON.parse(out) as Array<Record<string, unknown>>;
    expect(listing.map((item) => [item.adapterId ?? item.name, item.status])).toEqual([
      ['claude-code', 'loaded'],
      ['codex', 'loaded'],
      ['openclaw', 'loaded'],
      ['nexus-adapter-future', 'incompatible'],
      ['good', 'loaded'],
    ]);
    expect(listing[4]).toMatchObject({
      name: 'nexus-adapter-good',
      source: 'discovered',
      version: '1.2.3',
      roots: [{ path: join(dir, '.good'), role: 'live', exists: false }],
      runtime: { faults: 0, disabled: false },
    });
    expect(listing[2]).toMatchObject({
      adapterId: 'openclaw',
      store: true,
      databases: [join(dir, '.openclaw/agents/main/agent/openclaw-agent.sqlite')],
    });
  });
});
