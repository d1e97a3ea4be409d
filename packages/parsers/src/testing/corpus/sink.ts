import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Writes corpus files under one home folder and counts what it wrote. */
export class CorpusSink {
  bytes = 0;
  files = 0;

  constructor(readonly home: string) {}

  /**
   * Writes `lines`, each followed by `\n`, to `relativePath` under the home folder. `lastWriteMs` dates the
   * file as its agent's last append would (see {@link writeText}).
   */
  writeLines(relativePath: string, lines: readonly string[], lastWriteMs?: number): void {
    this.writeText(relativePath, lines.length === 0 ? '' : `${lines.join('\n')}\n`, lastWriteMs);
  }

  /**
   * Writes `text` to `relativePath` under the home folder. With `lastWriteMs`, the file's modification
   * time is set to it: a history written in one go would otherwise look modified today, and whatever
   * reads only recent files (live discovery, Codex rate limits at start) would read all of it.
   */
  writeText(relativePath: string, text: string, lastWriteMs?: number): void {
    const path = join(this.home, relativePath);
    mkdirSync(dirname(path), { recursive: true });
    const bytes = Buffer.from(text, 'utf8');
    writeFileSync(path, bytes);
    if (lastWriteMs !== undefined) utimesSync(path, new Date(lastWriteMs), new Date(lastWriteMs));
    this.bytes += bytes.length;
    this.files += 1;
  }
}
