import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

// The built CLI, as users run it (the server's tests run after its build).
const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
let home: string;

function nexus(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { env: { PATH: process.env.PATH, HOME: home, NEXUS_STATE_DIR: join(home, 'state'), TZ: 'UTC' } },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

function write(path: string, content: string) {
  const file = join(home, path);
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, content);
}

beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'nexus-cli-plugins-'));
});
afterEach(() => {
  rmSync(home, { recursive: true, force: true });
});

describe('an installed plugin written from the docs, through the built CLI', () => {
  it('is discovered in <state>/node_modules without its own @nexus/parsers, listed, and counted by nexus usage', async () => {
    // What `npm install --prefix ~/.nexus nexus-adapter-toy` leaves when @nexus/parsers is not installed with it.
    write(
      'state/node_modules/nexus-adapter-toy/package.json',
      JSON.stringify({
        name: 'nexus-adapter-toy',
        version: '0.1.0',
        type: 'module',
        exports: { '.': './index.js' },
      }),
    );
    write(
      'state/node_modules/nexus-adapter-toy/index.js',
      `import { join } from 'node:path';
import { ADAPTER_API_VERSION, defineAdapter } from '@nexus/parsers';
export default function toyAgent() {
  return defineAdapter({
    apiVersion: ADAPTER_API_VERSION,
    id: 'toy-agent',
    displayName: 'Toy Agent',
    rootEnvVars: ['TOY_HOME'],
    resolveRoots: ({ env, homeDir }) => [{ path: join(env.TOY_HOME ?? join(homeDir, '.toy'), 'sessions'), role: 'live' }],
    classifyFile: (p) => (p.endsWith('.jsonl') && !p.includes('/') ? { sessionId: 'toy-agent:' + p.slice(0, -6), kind: 'session', group: 'toy' } : null),
    usageLineFilter: ['"tokens"'],
    liveness: { processNames: ['toy'], recentWindowMs: 1800000, maxTotal: 10 },
    createParser(file) {
      return {
        parseLine(line, position) {
          let r;
          try { r = JSON.parse(line); } catch { return []; }
          if (!r || typeof r !== 'object' || !r.tokens || !r.time) return [];
          return [{ type: 'usage', tool: 'toy-agent', sessionId: file.sessionId, projectPath: '', timestamp: r.time, model: 'toy-1',
            inputTokens: r.tokens.in, outputTokens: r.tokens.out, cacheCreationTokens: 0, cacheCreation1hTokens: 0,
            cacheReadTokens: 0, reasoningOutputTokens: 0, dedupKey: file.sessionId + ':' + position.byteOffset }];
        },
        snapshot: () => ({}),
        restore() {},
      };
    },
  });
}
`,
    );
    write(
      '.toy/sessions/s1.jsonl',
      '{"role":"assistant","text":"hi","time":"2026-11-24T10:00:01Z","tokens":{"in":12,"out":5}}\n' +
        '{"role":"assistant","text":"done","time":"2026-11-24T10:00:02Z","tokens":{"in":20,"out":9}}\n',
    );

    const listed = await nexus(['adapters', '--json']);
    const toy = (JSON.parse(listed.stdout) as Array<Record<string, unknown>>).find(
      (item) => item.adapterId === 'toy-agent',
    );
    expect(toy).toMatchObject({
      name: 'nexus-adapter-toy',
      source: 'discovered',
      status: 'loaded',
      version: '0.1.0',
    });

    const usage = await nexus(['usage', 'session', '--json', '--offline', '--tool', 'toy-agent']);
    expect(usage.stderr).toBe('');
    const rows = (JSON.parse(usage.stdout) as { rows: Array<Record<string, unknown>> }).rows;
    expect(rows.map((row) => [row.sessionId, row.inputTokens, row.outputTokens])).toEqual([
      ['toy-agent:s1', 32, 14],
    ]);
  });

  it('names an incompatible plugin and exits 1 from nexus adapters, while nexus usage still works', async () => {
    write(
      'state/node_modules/nexus-adapter-next/package.json',
      JSON.stringify({ name: 'nexus-adapter-next', version: '9.0.0', type: 'module', exports: './index.js' }),
    );
    write(
      'state/node_modules/nexus-adapter-next/index.js',
      'export default () => ({ apiVersion: 2, id: "next", displayName: "Next", rootEnvVars: [], resolveRoots: () => [], classifyFile: () => null, createParser: () => ({}), liveness: { processNames: [], recentWindowMs: 1 } });\n',
    );
    const listed = await nexus(['adapters']);
    expect(listed.code).toBe(1);
    expect(listed.stdout).toContain(
      '[nexus] [plugins] nexus-adapter-next: targets adapter API 2, this Nexus speaks 1: use a release of the plugin for API 1, or a Nexus for API 2 (NEXUS_PLUGIN_INCOMPATIBLE)',
    );
    const usage = await nexus(['usage', 'daily', '--json', '--offline']);
    expect(usage.code).toBe(0);
    expect(usage.stderr).toBe(
      '[nexus] [plugins] nexus-adapter-next: targets adapter API 2, this Nexus speaks 1: use a release of the plugin for API 1, or a Nexus for API 2 (NEXUS_PLUGIN_INCOMPATIBLE)\n',
    );
  });
});
