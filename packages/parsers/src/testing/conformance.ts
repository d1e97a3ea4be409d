import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ADAPTER_API_VERSION,
  type LogFileRef,
  type NexusAdapter,
  type NormalizedEvent,
  type ParseIssue,
} from '../contract.js';
import { LineFramer } from '../line-framer.js';
import { describeFile, lastLineWithoutNewline } from '../reader.js';
import { readFileEvents } from './read-file-events.js';
import { spacedJson } from './spaced-json.js';

/** Options of {@link testAdapter}. */
export interface AdapterConformanceOptions {
  /** The adapter, or a factory called once per test. */
  readonly adapter: NexusAdapter | (() => NexusAdapter);
  /** Absolute paths of realistic session logs (copy real lines into your package). */
  readonly fixtures: readonly string[];
  /** Seed of the random chunking; change it to explore other cuts. Default 1. */
  readonly seed?: number;
}

/** Deterministic PRNG (mulberry32): the same seed cuts the same chunks. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function parseBytes(
  adapter: NexusAdapter,
  file: LogFileRef,
  bytes: Buffer,
  chunkSizes: () => number,
): NormalizedEvent[] {
  const parser = adapter.createParser(file, { report: () => {} });
  const framer = new LineFramer();
  const events: NormalizedEvent[] = [];
  let position = 0;
  while (position < bytes.length) {
    const size = Math.max(1, Math.min(bytes.length - position, chunkSizes()));
    for (const line of framer.push(bytes.subarray(position, position + size))) {
      const text = line.bytes.toString('utf8');
      if (text.trim() !== '') events.push(...parser.parseLine(text, { byteOffset: line.byteOffset }));
    }
    position += size;
  }
  const last = lastLineWithoutNewline(framer, undefined, []);
  if (last) events.push(...parser.parseLine(last.text, { byteOffset: last.byteOffset }));
  return events;
}

/**
 * Lines of a file with the offset each starts at, as a host reads them: a trailing partial line is left
 * out unless it is a whole JSON object.
 */
function linesOf(bytes: Buffer): Array<{ text: string; byteOffset: number }> {
  const framer = new LineFramer();
  const lines = framer
    .push(bytes)
    .map((line) => ({ text: line.bytes.toString('utf8'), byteOffset: line.byteOffset }));
  const last = lastLineWithoutNewline(framer, undefined, []);
  return last ? [...lines, last] : lines;
}

/** Events with the fields that legitimately depend on byte offsets removed. */
function offsetFree(events: NormalizedEvent[]): unknown[] {
  return events.map((event) => {
    const {
      id: _id,
      dedupKey: _key,
      ...rest
    } = event as NormalizedEvent & { id?: string; dedupKey?: string };
    return rest;
  });
}

/** The same file with each JSON line re-spaced (`"usage": {`), the odd line left as it is. */
function spacedTwin(bytes: Buffer): string {
  const lines = linesOf(bytes).map((line) => {
    try {
      return spacedJson(JSON.parse(line.text));
    } catch {
      return line.text;
    }
  });
  return `${lines.join('\n')}\n`;
}

/**
 * Variants of a file that another writer produces from the same records: the usage a usage-only read finds
 * in each must be what a full read of it finds.
 */
const TWINS: ReadonlyArray<{ readonly name: string; readonly make: (bytes: Buffer) => Buffer }> = [
  { name: 'spaced JSON', make: (bytes) => Buffer.from(spacedTwin(bytes), 'utf8') },
  {
    name: 'CRLF line endings',
    make: (bytes) => Buffer.from(bytes.toString('utf8').replace(/\n/g, '\r\n'), 'utf8'),
  },
  { name: 'a byte order mark', make: (bytes) => Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), bytes]) },
];

const BAD_LINES = [
  '',
  '   ',
  '{"type":',
  '42',
  '"a string"',
  '[1, 2, 3]',
  'null',
  'true',
  'garbage \u0000\ufffd',
  '{"type":"assistant","message":',
  '}{',
];

/**
 * The conformance suite every adapter runs, built-in or plugin (cf. unstorage's `testDriver`):
 *
 * ```ts
 * import { testAdapter } from '@nexus/parsers/testing';
 * testAdapter({ adapter: myAgent(), fixtures: [new URL('./fixtures/session.jsonl', import.meta.url).pathname] });
 * ```
 */
export function testAdapter(options: AdapterConformanceOptions): void {
  const make =
    typeof options.adapter === 'function' ? options.adapter : () => options.adapter as NexusAdapter;
  const seed = options.seed ?? 1;
  const probe = make();

  describe(`adapter conformance: ${probe.id}`, () => {
    it('declares its identity, roots and liveness rules', () => {
      const adapter = make();
      expect(adapter.apiVersion).toBe(ADAPTER_API_VERSION);
      expect(adapter.id).toMatch(/^[a-z0-9][a-z0-9-]*$/);
      expect(adapter.displayName.trim()).not.toBe('');
      const roots = adapter.resolveRoots({ env: {}, homeDir: '/home/conformance', exists: () => false });
      expect(roots.length).toBeGreaterThan(0);
      for (const root of roots) {
        expect(root.path.startsWith('/')).toBe(true);
        expect(['live', 'history']).toContain(root.role);
      }
      expect(adapter.liveness.recentWindowMs).toBeGreaterThan(0);
    });

    it('gives no event and throws nothing for blank, truncated, non-object and garbage lines', () => {
      const adapter = make();
      const file = describeFile(adapter, `/conformance/${adapter.id}/session.jsonl`);
      const issues: ParseIssue[] = [];
      const parser = adapter.createParser(file, { report: (issue) => issues.push(issue) });
      const firstFixture = options.fixtures[0];
      const truncated = firstFixture
        ? (linesOf(readFileSync(firstFixture)).find((line) => line.text.length > 20)?.text ?? '')
        : '';
      for (const [index, line] of [
        ...BAD_LINES,
        truncated.slice(0, Math.floor(truncated.length / 2)),
      ].entries()) {
        expect(() => parser.parseLine(line, { byteOffset: index })).not.toThrow();
        expect(parser.parseLine(line, { byteOffset: index }), JSON.stringify(line)).toEqual([]);
      }
      for (const issue of issues) expect(issue.code).toMatch(/^NEXUS_[A-Z0-9_]+$/);
    });

    for (const path of options.fixtures) {
      const name = basename(path);

      describe(name, () => {
        it('gives the same events whether the file is read whole or in random chunks', async () => {
          const adapter = make();
          const whole = await readFileEvents(adapter, path);
          const bytes = readFileSync(path);
          const next = random(seed);
          for (let round = 0; round < 3; round++) {
            const chunked = parseBytes(adapter, whole.file, bytes, () => 1 + Math.floor(next() * 97));
            expect(chunked).toEqual(whole.events);
          }
        });

        it('snapshot → restore → continue gives the same events as one uninterrupted read', async () => {
          const adapter = make();
          const whole = await readFileEvents(adapter, path);
          const lines = linesOf(readFileSync(path));
          const cuts = [
            ...new Set([1, Math.floor(lines.length / 3), Math.floor(lines.length / 2), lines.length - 1]),
          ].filter((cut) => cut > 0 && cut < lines.length);
          for (const cut of cuts) {
            const first = adapter.createParser(whole.file, { report: () => {} });
            const events: NormalizedEvent[] = [];
            for (const line of lines.slice(0, cut))
              events.push(...first.parseLine(line.text, { byteOffset: line.byteOffset }));
            // The state crosses a restart as JSON, so it must survive a round trip.
            const state = JSON.parse(JSON.stringify(first.snapshot()));
            const second = adapter.createParser(whole.file, { report: () => {} });
            second.restore(state);
            for (const line of lines.slice(cut))
              events.push(...second.parseLine(line.text, { byteOffset: line.byteOffset }));
            expect(events, `cut after line ${cut}`).toEqual(whole.events);
          }
        });

        it('gives the same events for CRLF line endings', async () => {
          const adapter = make();
          const whole = await readFileEvents(adapter, path);
          const crlf = Buffer.from(readFileSync(path, 'utf8').replace(/\n/g, '\r\n'), 'utf8');
          expect(offsetFree(parseBytes(adapter, whole.file, crlf, () => 4096))).toEqual(
            offsetFree(whole.events),
          );
        });

        it('parses spaced JSON ("usage": {) like compact JSON', async () => {
          const adapter = make();
          const whole = await readFileEvents(adapter, path);
          const respaced = parseBytes(
            adapter,
            whole.file,
            Buffer.from(spacedTwin(readFileSync(path)), 'utf8'),
            () => 65536,
          );
          const compact = linesOf(readFileSync(path))
            .map((line) => {
              try {
                return JSON.stringify(JSON.parse(line.text));
              } catch {
                return line.text;
              }
            })
            .join('\n');
          const recompacted = parseBytes(
            adapter,
            whole.file,
            Buffer.from(`${compact}\n`, 'utf8'),
            () => 65536,
          );
          expect(offsetFree(respaced)).toEqual(offsetFree(recompacted));
        });

        it('finds the same usage when reading for usage only (the pre-filter drops no usage line)', async () => {
          const adapter = make();
          const full = await readFileEvents(adapter, path);
          const usageOnly = await readFileEvents(adapter, path, { usageOnly: true });
          const usage = (events: NormalizedEvent[]) => events.filter((event) => event.type === 'usage');
          expect(usage(usageOnly.events)).toEqual(usage(full.events));
        });

        it('finds in usage-only reads what full reads find in its spaced, CRLF and byte-order-mark twins', async () => {
          const adapter = make();
          const file = describeFile(adapter, path);
          const dir = mkdtempSync(join(tmpdir(), 'nexus-conformance-'));
          try {
            const usage = (events: NormalizedEvent[]) => events.filter((event) => event.type === 'usage');
            for (const twin of TWINS) {
              const twinPath = join(dir, basename(path));
              writeFileSync(twinPath, twin.make(readFileSync(path)));
              const twinFile = { ...file, path: twinPath };
              const full = await readFileEvents(adapter, twinPath, { file: twinFile });
              const usageOnly = await readFileEvents(adapter, twinPath, { file: twinFile, usageOnly: true });
              expect(usage(usageOnly.events), twin.name).toEqual(usage(full.events));
            }
          } finally {
            rmSync(dir, { recursive: true, force: true });
          }
        });

        it('emits well-formed events: non-negative integer tokens, ids unique per session', async () => {
          const adapter = make();
          const { events } = await readFileEvents(adapter, path);
          const ids = new Set<string>();
          for (const event of events) {
            expect(event.sessionId.startsWith(`${adapter.id}:`), event.sessionId).toBe(true);
            if (event.type === 'usage') {
              for (const field of [
                'inputTokens',
                'outputTokens',
                'cacheCreationTokens',
                'cacheCreation1hTokens',
                'cacheReadTokens',
                'reasoningOutputTokens',
              ] as const) {
                expect(Number.isInteger(event[field]) && event[field] >= 0, `${field}=${event[field]}`).toBe(
                  true,
                );
              }
              expect(event.cacheCreation1hTokens).toBeLessThanOrEqual(event.cacheCreationTokens);
              expect(event.dedupKey).not.toBe('');
              expect(Number.isNaN(Date.parse(event.timestamp))).toBe(false);
            }
            if (event.type === 'message') {
              const key = `${event.sessionId}\u0000${event.id}`;
              expect(ids.has(key), `duplicate message id ${event.id}`).toBe(false);
              ids.add(key);
            }
          }
        });
      });
    }
  });
}
