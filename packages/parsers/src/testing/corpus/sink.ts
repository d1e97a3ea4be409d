import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Writes corpus files under one home folder and counts what it wrote. */
export class CorpusSink {
  bytes = 0;
  files = 0;

  constructor(readonly home: string) {}

  /** Writes `lines`, each followed by `\n`, to `relativePath` under the home folder. */
  writeLines(relativePath: string, lines: readonly string[]): void {
    this.writeText(relativePath, lines.length === 0 ? '' : `${lines.join('\n')}\n`);
  }

  writeText(relativePath: string, text: string): void {
    const path = join(this.home, relativePath);
    mkdirSync(dirname(path), { recursive: true });
    const bytes = Buffer.from(text, 'utf8');
    writeFileSync(path, bytes);
    this.bytes += bytes.length;
    this.files += 1;
  }
}
