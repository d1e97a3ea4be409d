import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';
import { open } from 'node:fs/promises';

// Enough of the head to tell a rewritten file from one that only grew; small enough to be free.
export const HEAD_BYTES = 1024;

/** A checkpoint's head hash: the length hashed, then the SHA-1 of those bytes. */
export function headDigest(bytes: Uint8Array): string {
  return `${bytes.length}:${createHash('sha1').update(bytes).digest('hex')}`;
}

async function readHead(path: string, length: number): Promise<Buffer> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buffer, 0, length, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/** Hash of the first `min(size, HEAD_BYTES)` bytes of a file of `size` bytes. */
export async function headHash(path: string, size: number): Promise<string> {
  return headDigest(await readHead(path, Math.min(size, HEAD_BYTES)));
}

/** {@link headHash} with a blocking read, for a worker thread that only reads files. */
export function headHashBlocking(path: string, length: number): string {
  const fd = openSync(path, 'r');
  try {
    const buffer = Buffer.alloc(length);
    return headDigest(buffer.subarray(0, readSync(fd, buffer, 0, length, 0)));
  } finally {
    closeSync(fd);
  }
}

/** Whether the file still starts with the bytes a checkpoint hashed (a grown file still matches). */
export async function headMatches(path: string, recorded: string): Promise<boolean> {
  const length = Number(recorded.split(':', 1)[0]);
  if (!Number.isInteger(length) || length < 0) return false;
  const head = await readHead(path, length);
  return head.length === length && headDigest(head) === recorded;
}
