import { readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type {
  LineParser,
  LogFileInfo,
  LogFileRef,
  NexusAdapter,
  NormalizedEvent,
  ParseContext,
  StoreBatch,
  StoreReader,
  StoreSessionEvents,
} from '@nexus/parsers';
import Database from 'better-sqlite3';
import { decompress } from 'fzstd';

/** Archives read per `read()`: each is a whole transcript. */
const ARCHIVES_PER_READ = 16;
/** OpenClaw's own bound on a compressed event (`MAX_COMPRESSED_EVENT_BYTES`). */
const MAX_EVENT_BYTES = 4 * 1024 * 1024;
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
/** Window outcomes OpenClaw persists once a run has ended (agent schema `session_windows.status`). */
const ENDED = new Set(['done', 'failed', 'killed', 'timeout', 'interrupted']);

/** Where a read stopped: the last row id read, and which event it was (to notice rows renumbered by VACUUM). */
export interface StoreCursor {
  readonly rowid: number;
  readonly sessionId?: string;
  readonly seq?: number;
  /** Last row id read of `session_transcript_archives` (reset and deletion archives). */
  readonly archives?: number;
  /** Last row id read of `session_transcript_cold_archives`. */
  readonly cold?: number;
}

export interface SqliteStoreOptions {
  /** A session whose last write is older than this is not live. Default 6 h (the JSONL rule). */
  readonly recentWindowMs?: number;
  /** …and one whose run has ended counts as live only this long after its last write. Default 30 min. */
  readonly endedWindowMs?: number;
  /** At most this many live sessions per agent database, the most recent first. Default 3. */
  readonly maxLivePerAgent?: number;
}

interface EventRow {
  readonly rowid: number;
  readonly session_id: string;
  readonly seq: number;
  readonly event_json: string | null;
  readonly event_zstd?: Uint8Array | null;
  readonly event_utf8_bytes?: number | null;
}

/** Largest window a frame may ask the decoder to allocate: OpenClaw's frames hold at most 4 MiB. */
const MAX_WINDOW_BYTES = 8 * 1024 * 1024;
/** …and an archive, a whole transcript (OpenClaw keeps transcripts above 64 MiB out of cold storage). */
const MAX_ARCHIVE_WINDOW_BYTES = 256 * 1024 * 1024;

/**
 * Refuse a frame whose header asks for more memory than any OpenClaw event needs, before decoding it: the
 * decoder allocates the declared window (or content size) up front, so a corrupt header could ask for 2 GiB.
 */
function checkFrame(frame: Uint8Array, limit = MAX_WINDOW_BYTES): void {
  if (frame.length < 6 || frame[0] !== 0x28 || frame[1] !== 0xb5 || frame[2] !== 0x2f || frame[3] !== 0xfd)
    throw new Error('not a zstd frame');
  const flags = frame[4]!;
  const singleSegment = (flags >> 5) & 1;
  const sizeField = flags >> 6;
  const dictionaryBytes = [0, 1, 2, 4][flags & 3]!;
  let window: number;
  if (singleSegment) {
    const sizeBytes = sizeField ? 1 << sizeField : 1;
    let offset = 5 + dictionaryBytes;
    window = 0;
    for (let i = 0; i < Math.min(sizeBytes, 4); i++) window += frame[offset++]! * 2 ** (8 * i);
    if (sizeBytes === 8 && (frame[offset] || frame[offset + 1] || frame[offset + 2] || frame[offset + 3]))
      window = Number.POSITIVE_INFINITY;
    if (sizeField === 1) window += 256;
  } else {
    const descriptor = frame[5]!;
    const base = 2 ** (10 + (descriptor >> 3));
    window = base + (base / 8) * (descriptor & 7);
  }
  if (window > limit) throw new Error(`frame asks for a ${window}-byte window`);
}

function columnsOf(db: Database.Database, table: string): Set<string> {
  const rows = db.prepare('SELECT name FROM pragma_table_info(?)').all(table) as Array<{ name: string }>;
  return new Set(rows.map((row) => row.name));
}

/**
 * A read-only view of one agent's `openclaw-agent.sqlite`. `transcript_events` holds the same JSON entries
 * as the JSONL era's lines, one per row; since agent schema 23 a large entry is stored zstd-compressed in
 * `event_zstd` (with `event_json` NULL and its byte length in `event_utf8_bytes`). Rows are read in row-id
 * order after a cursor and parsed by the JSONL adapter's own line parser, so usage is identical to the
 * JSONL path for the same entries.
 */
export class OpenClawSqliteStore implements StoreReader {
  readonly #db: Database.Database;
  readonly #path: string;
  readonly #agent: string;
  readonly #lines: NexusAdapter;
  readonly #context: ParseContext;
  readonly #options: Required<SqliteStoreOptions>;
  readonly #parsers = new Map<string, LineParser>();
  readonly #select: string;
  readonly #windows: Set<string>;
  readonly #nodes: Set<string>;
  readonly #archives: Set<string>;
  readonly #cold: Set<string>;

  constructor(path: string, lines: NexusAdapter, context: ParseContext, options: SqliteStoreOptions = {}) {
    this.#path = path;
    // `<state>/agents/<agent>/agent/openclaw-agent.sqlite`
    this.#agent = basename(dirname(dirname(path)));
    this.#lines = lines;
    this.#context = context;
    this.#options = {
      recentWindowMs: options.recentWindowMs ?? 6 * HOUR,
      endedWindowMs: options.endedWindowMs ?? 30 * MINUTE,
      maxLivePerAgent: options.maxLivePerAgent ?? 3,
    };
    // Read-only: Nexus never writes to OpenClaw's database. WAL readers see committed transactions only,
    // so a read while OpenClaw writes gets a consistent snapshot; busy_timeout rides out checkpoints.
    this.#db = new Database(path, { readonly: true, fileMustExist: true });
    this.#db.pragma('busy_timeout = 3000');
    const events = columnsOf(this.#db, 'transcript_events');
    if (!events.has('event_json') || !events.has('session_id'))
      throw new Error(`${path} has no transcript_events table of OpenClaw's shape`);
    const compressed = events.has('event_zstd');
    this.#select = `rowid, session_id, seq, event_json${compressed ? ', event_zstd' : ''}${
      events.has('event_utf8_bytes') ? ', event_utf8_bytes' : ''
    }`;
    this.#windows = columnsOf(this.#db, 'session_windows');
    this.#nodes = columnsOf(this.#db, 'session_nodes');
    this.#archives = columnsOf(this.#db, 'session_transcript_archives');
    this.#cold = columnsOf(this.#db, 'session_transcript_cold_archives');
  }

  #file(sessionId: string): LogFileRef {
    return {
      sessionId: `${this.#lines.id}:${sessionId}`,
      kind: 'session',
      group: this.#agent,
      tool: this.#lines.id,
      path: this.#path,
      root: dirname(dirname(dirname(this.#path))),
    };
  }

  /** The entry's JSON text, decompressed when stored as a zstd frame; `undefined` (reported) when unreadable. */
  #text(row: EventRow): string | undefined {
    if (typeof row.event_json === 'string') return row.event_json;
    const frame = row.event_zstd;
    if (!frame) return undefined;
    const expected = row.event_utf8_bytes ?? undefined;
    try {
      if (expected !== undefined && (expected < 1 || expected > MAX_EVENT_BYTES))
        throw new Error(`recorded size ${expected} is out of bounds`);
      checkFrame(frame);
      const bytes = decompress(frame);
      if (expected !== undefined && bytes.byteLength !== expected)
        throw new Error(`frame holds ${bytes.byteLength} bytes, ${expected} recorded`);
      return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
    } catch (error) {
      this.#context.report({
        code: 'NEXUS_PARSE_INVALID_JSON',
        message: `Compressed transcript event ${row.session_id}#${row.seq} could not be decoded: ${(error as Error).message}`,
        file: this.#path,
        byteOffset: row.rowid,
      });
      return undefined;
    }
  }

  #parse(parser: LineParser, row: EventRow): NormalizedEvent[] {
    const text = this.#text(row);
    // Row ids stand in for byte offsets: stable for a row, and what the parser falls back to for keys.
    return text === undefined ? [] : parser.parseLine(text, { byteOffset: row.rowid });
  }

  /** The parser of a session, its state rebuilt from the session's rows up to `before` when new to this reader. */
  #parserFor(sessionId: string, before: number): LineParser {
    let parser = this.#parsers.get(sessionId);
    if (parser) return parser;
    parser = this.#lines.createParser(this.#file(sessionId), this.#context);
    if (before > 0) {
      const earlier = this.#db
        .prepare(
          `SELECT ${this.#select} FROM transcript_events WHERE session_id = ? AND rowid <= ? ORDER BY rowid`,
        )
        .all(sessionId, before) as EventRow[];
      for (const row of earlier) this.#parse(parser, row);
    }
    this.#parsers.set(sessionId, parser);
    return parser;
  }

  read(cursor: unknown, options: { readonly maxRecords?: number } = {}): StoreBatch {
    const limit = options.maxRecords ?? 2000;
    let from = 0;
    let restarted = false;
    const saved = cursor as StoreCursor | undefined;
    if (saved && Number.isInteger(saved.rowid) && saved.rowid > 0) {
      const at = this.#db
        .prepare('SELECT session_id, seq FROM transcript_events WHERE rowid = ?')
        .get(saved.rowid) as { session_id: string; seq: number } | undefined;
      // The row the cursor points at is gone or is another event: rows were deleted or renumbered (VACUUM).
      // Start over; the ledger keeps one row per call, so nothing is counted twice.
      if (at && at.session_id === saved.sessionId && at.seq === saved.seq) from = saved.rowid;
      else {
        restarted = true;
        this.#parsers.clear();
      }
    }
    const rows = this.#db
      .prepare(`SELECT ${this.#select} FROM transcript_events WHERE rowid > ? ORDER BY rowid LIMIT ?`)
      .all(from, limit) as EventRow[];
    const bySession = new Map<string, StoreSessionEvents>();
    for (const row of rows) {
      const parser = this.#parserFor(row.session_id, from);
      const events = this.#parse(parser, row);
      let entry = bySession.get(row.session_id);
      if (!entry) {
        const { tool: _tool, path: _path, root: _root, ...info } = this.#file(row.session_id);
        entry = { file: info, events: [] };
        bySession.set(row.session_id, entry);
      }
      entry.events.push(...events);
    }
    const last = rows.at(-1);
    const position: StoreCursor = last
      ? { rowid: last.rowid, sessionId: last.session_id, seq: last.seq }
      : saved && from > 0
        ? { rowid: saved.rowid, sessionId: saved.sessionId, seq: saved.seq }
        : { rowid: 0 };
    let archives = restarted ? 0 : (saved?.archives ?? 0);
    let cold = restarted ? 0 : (saved?.cold ?? 0);
    let moreArchives = false;
    // Archives are read once the live rows are caught up: they hold history OpenClaw moved out of
    // transcript_events (its entries keep their ids, so usage already counted is not counted again).
    if (rows.length < limit) {
      const read = this.#readArchives(archives, cold, bySession);
      ({ archives, cold } = read);
      moreArchives = read.more;
    }
    return {
      sessions: [...bySession.values()],
      cursor: { ...position, ...(archives > 0 ? { archives } : {}), ...(cold > 0 ? { cold } : {}) },
      more: rows.length === limit || moreArchives,
    };
  }

  /** JSONL text of an archive: zstd frames are recognised by their magic number, anything else is text. */
  #archiveText(bytes: Uint8Array, what: string): string | undefined {
    try {
      const zstd = bytes[0] === 0x28 && bytes[1] === 0xb5 && bytes[2] === 0x2f && bytes[3] === 0xfd;
      if (zstd) checkFrame(bytes, MAX_ARCHIVE_WINDOW_BYTES);
      const raw = zstd ? decompress(bytes) : bytes;
      return Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('utf8');
    } catch (error) {
      this.#context.report({
        code: 'NEXUS_PARSE_INVALID_JSON',
        message: `${what} could not be decoded: ${(error as Error).message}`,
        file: this.#path,
      });
      return undefined;
    }
  }

  /** Parse an archived transcript; lines that are not transcript entries (restore metadata) give nothing. */
  #addArchive(sessionId: string, text: string, bySession: Map<string, StoreSessionEvents>): void {
    const parser = this.#lines.createParser(this.#file(sessionId), this.#context);
    const { tool: _tool, path: _path, root: _root, ...info } = this.#file(sessionId);
    const entry = bySession.get(sessionId) ?? { file: info, events: [] };
    bySession.set(sessionId, entry);
    let offset = 0;
    for (const line of text.split('\n')) {
      const trimmed = line.replace(/\r$/, '');
      if (trimmed.trim() !== '') entry.events.push(...parser.parseLine(trimmed, { byteOffset: offset }));
      offset += Buffer.byteLength(line) + 1;
    }
  }

  #readArchives(
    archivesFrom: number,
    coldFrom: number,
    bySession: Map<string, StoreSessionEvents>,
  ): { archives: number; cold: number; more: boolean } {
    let archives = archivesFrom;
    let cold = coldFrom;
    let budget = ARCHIVES_PER_READ;
    if (this.#archives.has('archive_blob')) {
      const rows = this.#db
        .prepare(
          'SELECT rowid, session_id, archive_blob FROM session_transcript_archives WHERE rowid > ? ORDER BY rowid LIMIT ?',
        )
        .all(archives, budget) as Array<{ rowid: number; session_id: string; archive_blob: Uint8Array }>;
      for (const row of rows) {
        const text = this.#archiveText(row.archive_blob, `Archive of ${row.session_id}`);
        if (text !== undefined) this.#addArchive(row.session_id, text, bySession);
        archives = row.rowid;
      }
      budget -= rows.length;
    }
    if (budget > 0 && this.#cold.has('archive_name')) {
      const rows = this.#db
        .prepare(
          `SELECT rowid, session_id, archive_name, storage, archive_blob FROM session_transcript_cold_archives
            WHERE rowid > ? ORDER BY rowid LIMIT ?`,
        )
        .all(cold, budget) as Array<{
        rowid: number;
        session_id: string;
        archive_name: string;
        storage: string;
        archive_blob: Uint8Array | null;
      }>;
      // A database in a folder named `agent` keeps cold archives in its sibling `sessions/cold/`.
      const folder =
        basename(dirname(this.#path)) === 'agent'
          ? join(dirname(dirname(this.#path)), 'sessions', 'cold')
          : join(dirname(this.#path), 'cold');
      for (const row of rows) {
        let bytes: Uint8Array | undefined = row.archive_blob ?? undefined;
        if (!bytes && row.storage === 'file' && !row.archive_name.includes('/')) {
          try {
            bytes = readFileSync(join(folder, row.archive_name));
          } catch (error) {
            this.#context.report({
              code: 'NEXUS_PARSE_MISSING_FIELD',
              message: `Cold archive ${row.archive_name} of ${row.session_id} is missing: ${(error as Error).message}`,
              file: this.#path,
            });
          }
        }
        const text = bytes && this.#archiveText(bytes, `Cold archive ${row.archive_name}`);
        if (text !== undefined) this.#addArchive(row.session_id, text, bySession);
        cold = row.rowid;
      }
      budget -= rows.length;
    }
    return { archives, cold, more: budget <= 0 };
  }

  /**
   * Live from the database's own state: the current window of a logical session (`session_nodes`), not
   * archived, not ended, written to within 6 hours — and, once its run has ended (`status` done, failed…),
   * only for 30 minutes after its last write. At most 3 per agent, the most recent first.
   */
  liveSessions(now: number): LogFileInfo[] {
    const w = this.#windows;
    const n = this.#nodes;
    const stamped = [
      w.has('transcript_updated_at') ? 'w.transcript_updated_at' : undefined,
      w.has('updated_at') ? 'w.updated_at' : undefined,
      n.has('last_activity_at') ? 'n.last_activity_at' : undefined,
      n.has('updated_at') ? 'n.updated_at' : undefined,
    ].filter(Boolean);
    // This runs every second: the windows' own timestamps are cheap; the newest event of each window is a
    // scan of its rows, used only by layouts that keep no timestamps (pre-release development schemas).
    const activity =
      stamped.length > 0
        ? stamped
        : ['(SELECT max(created_at) FROM transcript_events e WHERE e.session_id = w.session_id)'];
    const activeAt = `max(0, ${activity.map((column) => `coalesce(${column}, 0)`).join(', ')})`;
    const current = n.has('current_session_id')
      ? `JOIN session_nodes n ON n.current_session_id = w.session_id${n.has('archived_at') ? ' AND n.archived_at IS NULL' : ''}`
      : 'LEFT JOIN (SELECT NULL AS x) n ON 1';
    if (!w.has('session_id')) return [];
    const rows = this.#db
      .prepare(
        `SELECT w.session_id AS id, ${w.has('status') ? 'w.status' : 'NULL'} AS status,
                ${w.has('ended_at') ? 'w.ended_at' : 'NULL'} AS ended_at,
                ${activeAt} AS active_at
           FROM session_windows w ${current}
          WHERE ${activeAt} >= ?`,
      )
      .all(now - this.#options.recentWindowMs) as Array<{
      id: string;
      status: string | null;
      ended_at: number | null;
      active_at: number;
    }>;
    return rows
      .filter((row) => {
        if (row.ended_at !== null) return false;
        const age = now - row.active_at;
        if (age > this.#options.recentWindowMs) return false;
        return !(row.status && ENDED.has(row.status)) || age <= this.#options.endedWindowMs;
      })
      .sort((a, b) => b.active_at - a.active_at)
      .slice(0, this.#options.maxLivePerAgent)
      .map((row) => ({
        sessionId: `${this.#lines.id}:${row.id}`,
        kind: 'session' as const,
        group: this.#agent,
      }));
  }

  sessionEvents(sessionId: string): NormalizedEvent[] {
    const prefix = `${this.#lines.id}:`;
    const id = sessionId.startsWith(prefix) ? sessionId.slice(prefix.length) : sessionId;
    const parser = this.#lines.createParser(this.#file(id), this.#context);
    const rows = this.#db
      .prepare(`SELECT ${this.#select} FROM transcript_events WHERE session_id = ? ORDER BY seq`)
      .all(id) as EventRow[];
    return rows.flatMap((row) => this.#parse(parser, row));
  }

  close(): void {
    this.#parsers.clear();
    this.#db.close();
  }
}
