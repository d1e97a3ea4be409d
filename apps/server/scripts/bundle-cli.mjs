// Bundle the CLI into dist/cli/main.js (the `nexus` bin) and its lazily loaded chunks, dist/cli/chunk-*.js.
//
// Why: `nexus usage` loaded about 70 ES modules one by one (resolve, read, compile, link each), a sixth of a
// caught-up report's time. tsc's output stays as it is: the packages' own dist files, and dist/cli/nexus.js,
// the same CLI unbundled.
//
// What stays outside: the packages apps/server depends on from the registry (better-sqlite3's native
// addon, fastify, pino and its worker transports), and @nexus/parsers, imported at run time as before. Workspace packages and
// what they import are bundled. Each bundled module keeps its own `import.meta.url` (rewritten to its file
// in dist), so what a module finds next to itself (the pricing snapshot, worker scripts, the web build,
// package.json) is found where tsc put it. So the bundle holds this build's copy of the workspace code while
// worker threads and plugins load the packages' dist: build them together (turbo's `^build`, ./nexus).
import { readdir, readFile, rm } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const server = dirname(dirname(fileURLToPath(import.meta.url)));
const outdir = join(server, 'dist/cli');
const pkg = JSON.parse(await readFile(join(server, 'package.json'), 'utf8'));
const external = [
  ...Object.entries(pkg.dependencies ?? {})
    .filter(([, range]) => !String(range).startsWith('workspace:'))
    .map(([name]) => name),
  // Plugins loaded from their own folders import @nexus/parsers: one copy, shared with them, instead of a
  // bundled one beside theirs (parsers is a plain package: no file next to it is looked up).
  '@nexus/parsers',
].flatMap((name) => [name, `${name}/*`]);

/** Files built by tsc in this repository (not under node_modules): their `import.meta.url` is kept. */
const ownDist = /[\\/](apps|packages|plugins)[\\/][^\\/]+[\\/]dist[\\/].*\.js$/;

/** @type {import('esbuild').Plugin} */
const keepImportMetaUrl = {
  name: 'keep-import-meta-url',
  setup(b) {
    b.onLoad({ filter: ownDist }, async (args) => {
      if (args.path.includes(`${sep}node_modules${sep}`)) return undefined;
      const contents = await readFile(args.path, 'utf8');
      if (!contents.includes('import.meta.url')) return { contents, loader: 'js' };
      // Entry and chunks are all in `outdir`, so one relative path serves wherever the code lands.
      const own = relative(outdir, args.path).split(sep).join('/');
      const url = `new URL(${JSON.stringify(own)}, import.meta.url).href`;
      return { contents: contents.replaceAll('import.meta.url', url), loader: 'js' };
    });
  },
};

const result = await build({
  entryPoints: { main: join(outdir, 'nexus.js') },
  outdir,
  chunkNames: 'chunk-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external,
  plugins: [keepImportMetaUrl],
  metafile: true,
  logLevel: 'warning',
});

// Chunks of earlier builds, removed only now: a failed build leaves the previous main.js working.
const written = new Set(Object.keys(result.metafile.outputs).map((path) => join(server, path)));
for (const name of await readdir(outdir)) {
  const path = join(outdir, name);
  if (/^chunk-[A-Z0-9]+\.js$/.test(name) && !written.has(path)) await rm(path);
}
