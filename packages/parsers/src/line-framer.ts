/** A complete line cut from a byte stream, without its `\n` (and without a trailing `\r`). */
export interface FramedLine {
  /** The line's bytes. A view into the pushed chunk when possible: copy it if you keep it. */
  readonly bytes: Buffer;
  /** Byte offset of the line's first byte in the file. */
  readonly byteOffset: number;
}

/** A line longer than the limit, skipped without being held in memory. */
export interface OversizedLine {
  readonly byteOffset: number;
  /** Bytes skipped, newline excluded. */
  readonly length: number;
}

export interface LineFramerOptions {
  /** File offset of the first byte that will be pushed. Default 0. */
  readonly startOffset?: number;
  /** Lines longer than this are skipped and reported. Default 64 MiB. */
  readonly maxLineBytes?: number;
  readonly onOversizedLine?: (line: OversizedLine) => void;
}

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;
export const DEFAULT_MAX_LINE_BYTES = 64 * 1024 * 1024;

/**
 * Splits a byte stream into lines on byte 0x0A. Lines are cut as bytes and decoded whole by the
 * caller, so a multi-byte character split across two reads is never mangled. A partial last line is
 * held until its newline arrives; `resumeOffset` is where a later read must start to lose nothing.
 */
export class LineFramer {
  readonly #maxLineBytes: number;
  readonly #onOversizedLine: ((line: OversizedLine) => void) | undefined;
  #pending: Buffer[] = [];
  #pendingLength = 0;
  #lineStart: number;
  #skipping = false;

  constructor(options: LineFramerOptions = {}) {
    this.#lineStart = options.startOffset ?? 0;
    this.#maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
    this.#onOversizedLine = options.onOversizedLine;
  }

  /** Offset just after the last complete line: resuming here re-reads only the held partial line. */
  get resumeOffset(): number {
    return this.#lineStart;
  }

  /** Bytes of the partial line held in memory. */
  get pendingBytes(): number {
    return this.#skipping ? 0 : this.#pendingLength;
  }

  /**
   * The partial line held so far (bytes after the last newline), without consuming it; `undefined` when
   * nothing is held or the held line is past the length limit.
   */
  heldLine(): FramedLine | undefined {
    if (this.#pendingLength === 0 || this.#skipping) return undefined;
    const bytes =
      this.#pending.length === 1 ? this.#pending[0] : Buffer.concat(this.#pending, this.#pendingLength);
    return bytes ? { bytes: stripCarriageReturn(bytes), byteOffset: this.#lineStart } : undefined;
  }

  /** Feed the next bytes; returns the lines they complete, in order. */
  push(chunk: Buffer): FramedLine[] {
    const lines: FramedLine[] = [];
    let position = 0;
    while (position < chunk.length) {
      const newline = chunk.indexOf(NEWLINE, position);
      if (newline === -1) {
        this.#hold(chunk.subarray(position));
        break;
      }
      const piece = chunk.subarray(position, newline);
      const lineLength = this.#pendingLength + piece.length;
      const byteOffset = this.#lineStart;
      if (this.#skipping || lineLength > this.#maxLineBytes) {
        this.#onOversizedLine?.({ byteOffset, length: lineLength });
      } else {
        const bytes =
          this.#pendingLength === 0 ? piece : Buffer.concat([...this.#pending, piece], lineLength);
        lines.push({ bytes: stripCarriageReturn(bytes), byteOffset });
      }
      this.#pending = [];
      this.#pendingLength = 0;
      this.#skipping = false;
      this.#lineStart = byteOffset + lineLength + 1;
      position = newline + 1;
    }
    return lines;
  }

  /**
   * Like {@link push}, but returns only the lines that contain at least one of `markers`. The chunk is
   * searched for the markers rather than cut line by line: on a log where most lines carry none of them,
   * cutting and testing each line cost more than the search itself. Offsets, held partial lines and
   * oversized lines behave exactly as with `push`.
   */
  pushMatching(chunk: Buffer, markers: readonly Buffer[]): FramedLine[] {
    // A line continued from the last chunk, and lines that might exceed the limit inside one chunk,
    // need the line-by-line path (the search cannot see line lengths between matches).
    if (this.#pendingLength > 0 || this.#skipping || chunk.length > this.#maxLineBytes) {
      const firstNewline = chunk.indexOf(NEWLINE);
      if (firstNewline === -1 || chunk.length > this.#maxLineBytes) {
        return this.push(chunk).filter((line) => includesAny(line.bytes, markers));
      }
      const head = this.push(chunk.subarray(0, firstNewline + 1)).filter((line) =>
        includesAny(line.bytes, markers),
      );
      const rest = this.pushMatching(chunk.subarray(firstNewline + 1), markers);
      return head.length === 0 ? rest : [...head, ...rest];
    }
    const lines: FramedLine[] = [];
    const chunkOffset = this.#lineStart;
    const lastNewline = chunk.lastIndexOf(NEWLINE);
    const complete = lastNewline === -1 ? chunk.subarray(0, 0) : chunk.subarray(0, lastNewline + 1);
    const nextHits = markers.map((marker) => complete.indexOf(marker));
    for (;;) {
      let hit = -1;
      for (const at of nextHits) if (at !== -1 && (hit === -1 || at < hit)) hit = at;
      if (hit === -1) break;
      const start = complete.lastIndexOf(NEWLINE, hit) + 1;
      const end = complete.indexOf(NEWLINE, hit);
      lines.push({
        bytes: stripCarriageReturn(complete.subarray(start, end)),
        byteOffset: chunkOffset + start,
      });
      nextHits.forEach((at, index) => {
        if (at !== -1 && at <= end) nextHits[index] = complete.indexOf(markers[index] as Buffer, end + 1);
      });
    }
    this.#lineStart = chunkOffset + complete.length;
    if (complete.length < chunk.length) this.#hold(chunk.subarray(complete.length));
    return lines;
  }

  #hold(tail: Buffer): void {
    this.#pendingLength += tail.length;
    if (this.#skipping) return;
    if (this.#pendingLength > this.#maxLineBytes) {
      // Keep counting but drop the bytes: memory stays bounded whatever the line's length.
      this.#skipping = true;
      this.#pending = [];
      return;
    }
    // Copy: the caller may reuse the chunk's memory for its next read.
    this.#pending.push(Buffer.from(tail));
  }
}

function includesAny(bytes: Buffer, markers: readonly Buffer[]): boolean {
  return markers.some((marker) => bytes.includes(marker));
}

function stripCarriageReturn(bytes: Buffer): Buffer {
  return bytes.length > 0 && bytes[bytes.length - 1] === CARRIAGE_RETURN ? bytes.subarray(0, -1) : bytes;
}
