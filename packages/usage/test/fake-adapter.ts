import { open, readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { AdapterRoot, LogFileRef, NexusAdapter, UsageEvent } from '@nexus/parsers';
import type { BackfillReader, LogBatch, ReadLogFileOptions } from '../src/backfill.js';

/**
 * A minimal adapter for tests: every `*.jsonl` under the root is a log whose lines are UsageEvent
 * objects. Its parser state counts lines, so snapshot/resume is observable.
 */
export function fakeAdapter(root: string, id = 'claude-code'): NexusAdapter<{ lines: number }> {
  return {
    apiVersion: 1,
    id,
    displayName: 'Fake',
    rootEnvVars: [],
    resolveRoots: () => [{ path: root, role: 'live' }],
    classifyFile: (rel) =>
      rel.endsWith('.jsonl') ? { sessionId: `${id}:${rel}`, kind: 'session', group: 'g' } : null,
    createParser: () => {
      let lines = 0;
      return {
        parseLine(line) {
          lines++;
          try {
            return [{ type: 'usage', ...(JSON.parse(line) as Omit<UsageEvent, 'type'>) }];
          } catch {
            return [];
          }
        },
        snapshot: () => ({ lines }),
        restore: (s) => {
          lines = s.lines;
        },
      };
    },
    liveness: { processNames: [], recentWindowMs: 0 },
  };
}

/** Counters a test can assert on: bytes actually read, per path. */
export interface ReaderStats {
  bytesRead: Map<string, number>;
  startOffsets: Map<string, number[]>;
}

async function* walk(dir: string): AsyncGenerator<string> {
  let entries: import('node:fs').Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return;
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : 1));
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* walk(p);
    else yield p;
  }
}

/** A stand-in for the parsers' reader: complete lines only, `linesPerBatch` lines per batch. */
export function fakeReader(stats?: ReaderStats, linesPerBatch = 50, delayMs = 0): BackfillReader {
  return {
    async *scanRoot(adapter: NexusAdapter, root: AdapterRoot) {
      for await (const path of walk(root.path)) {
        const info = adapter.classifyFile(relative(root.path, path), root);
        if (info) yield { ...info, tool: adapter.id, path, root: root.path } satisfies LogFileRef;
      }
    },
    async *readLogFile(adapter: NexusAdapter, file: LogFileRef, options: ReadLogFileOptions) {
      const parser = adapter.createParser(file, { report: () => {} });
      if (options.state !== undefined) parser.restore(options.state);
      const handle = await open(file.path, 'r');
      let text: string;
      try {
        const size = (await handle.stat()).size;
        const buf = Buffer.alloc(Math.max(0, size - options.startOffset));
        await handle.read(buf, 0, buf.length, options.startOffset);
        text = buf.toString('utf8');
        stats?.bytesRead.set(file.path, (stats.bytesRead.get(file.path) ?? 0) + buf.length);
        stats?.startOffsets.set(file.path, [
          ...(stats.startOffsets.get(file.path) ?? []),
          options.startOffset,
        ]);
      } finally {
        await handle.close();
      }
      let offset = options.startOffset;
      let events: LogBatch['events'][number][] = [];
      let n = 0;
      let pos = 0;
      for (;;) {
        const nl = text.indexOf('\n', pos);
        if (nl < 0) break;
        const line = text.slice(pos, nl);
        events.push(...parser.parseLine(line, { byteOffset: offset }));
        offset += Buffer.byteLength(line) + 1;
        pos = nl + 1;
        if (++n % linesPerBatch === 0) {
          if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
          yield { events, resumeOffset: offset, state: parser.snapshot() };
          events = [];
        }
      }
      yield { events, resumeOffset: offset, state: parser.snapshot() };
    },
  };
}

/** One log line of the fake format. */
export function line(fields: Partial<UsageEvent> & { dedupKey: string }): string {
  return `${JSON.stringify({
    tool: 'claude-code',
    sessionId: 'claude-code:s',
    projectPath: '/p',
    timestamp: '2026-09-01T12:00:00.000Z',
    model: 'claude-sonnet-4-5',
    inputTokens: 0,
    outputTokens: 0,
    cacheCreationTokens: 0,
    cacheCreation1hTokens: 0,
    cacheReadTokens: 0,
    reasoningOutputTokens: 0,
    ...fields,
  })}\n`;
}
