import type { LogFileRef, NexusAdapter, NormalizedEvent, ParseIssue } from '../contract.js';
import { describeFile, readLogFile } from '../reader.js';

/** Everything one file gives: its events and the issues reported while reading it. */
export interface FileReading {
  readonly file: LogFileRef;
  readonly events: NormalizedEvent[];
  readonly issues: ParseIssue[];
}

/** Read a whole file with an adapter (the host's way: byte framing, decoding, issues as data). */
export async function readFileEvents(
  adapter: NexusAdapter,
  path: string,
  options: { usageOnly?: boolean; file?: LogFileRef } = {},
): Promise<FileReading> {
  const file = options.file ?? describeFile(adapter, path);
  const events: NormalizedEvent[] = [];
  const issues: ParseIssue[] = [];
  for await (const batch of readLogFile(adapter, file, {
    usageOnly: options.usageOnly ?? false,
    onIssue: (issue) => issues.push(issue),
  })) {
    events.push(...batch.events);
  }
  return { file, events, issues };
}
