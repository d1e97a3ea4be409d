import type { UnsequencedFrame } from '@nexus/protocol';

export interface SequencedFrame {
  readonly seq: number;
  /** The frame serialised once, shared by every client. */
  readonly text: string;
}

export interface FrameLogOptions {
  /** Frames kept for resync. */
  readonly maxFrames: number;
  /** Bytes kept for resync; the oldest frames go first past it. */
  readonly maxBytes: number;
}

/**
 * Stamps broadcast frames with the server-wide sequence number and keeps a bounded tail of them, so a
 * client that reconnects with its last `seq` gets exactly what it missed — or, when that tail no longer
 * reaches back far enough, a fresh `init`.
 */
export class FrameLog {
  readonly #options: FrameLogOptions;
  #frames: SequencedFrame[] = [];
  #head = 0;
  #bytes = 0;
  #lastSeq = 0;

  constructor(options: FrameLogOptions) {
    this.#options = options;
  }

  /** Sequence number of the newest frame (0 before the first). */
  get lastSeq(): number {
    return this.#lastSeq;
  }

  append(frame: UnsequencedFrame): SequencedFrame {
    const seq = ++this.#lastSeq;
    // `seq` spliced into the serialised frame: copying each frame into a new object with `{ ...frame, seq }`
    // made V8 build a new hidden class per frame (the frames' shapes vary, so the copy is megamorphic),
    // and those maps filled the old generation at thousands of frames a second.
    const body = JSON.stringify(frame);
    const text = `${body.slice(0, -1)},"seq":${seq}}`;
    const entry = { seq, text };
    this.#frames.push(entry);
    this.#bytes += text.length;
    this.#evict();
    return entry;
  }

  /**
   * Frames after `lastSeq`, or `undefined` when they are no longer all held (or `lastSeq` is from
   * another server run) and the client needs a fresh `init`.
   */
  since(lastSeq: number): SequencedFrame[] | undefined {
    if (lastSeq > this.#lastSeq) return undefined;
    if (lastSeq === this.#lastSeq) return [];
    const oldest = this.#frames[this.#head];
    if (!oldest || oldest.seq > lastSeq + 1) return undefined;
    return this.#frames.slice(this.#head + (lastSeq + 1 - oldest.seq));
  }

  #evict(): void {
    const { maxFrames, maxBytes } = this.#options;
    while (
      this.#frames.length - this.#head > maxFrames ||
      (this.#bytes > maxBytes && this.#frames.length - this.#head > 1)
    ) {
      const dropped = this.#frames[this.#head++];
      if (dropped) this.#bytes -= dropped.text.length;
    }
    // Compact now and then instead of shifting on every append.
    if (this.#head > 1024 && this.#head * 2 > this.#frames.length) {
      this.#frames = this.#frames.slice(this.#head);
      this.#head = 0;
    }
  }
}
