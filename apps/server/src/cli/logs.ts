import { createReadStream, statSync, unwatchFile, watchFile } from 'node:fs';
import { parseArgs } from 'node:util';
import type { StatePaths } from '../state-dir.js';
import { type CliIo, tailFile } from './daemon.js';

export const LOGS_HELP = `Usage: nexus logs [prod|backend|frontend] [-n N] [-f]

  prod, backend   the server's log (pino JSON lines) — the default
  frontend        the Vite dev server's log (nexus dev-start)
  -n, --lines N   how many lines to show (default 50)
  -f, --follow    keep printing new lines until Ctrl-C
Set LOG_LEVEL=debug before starting Nexus for more detail.`;

export async function logsCommand(argv: string[], paths: StatePaths, io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      lines: { type: 'string', short: 'n' },
      follow: { type: 'boolean', short: 'f' },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: true,
  });
  if (values.help) {
    io.stdout.write(`${LOGS_HELP}\n`);
    return 0;
  }
  const which = positionals[0] ?? 'prod';
  if (!['prod', 'backend', 'frontend'].includes(which)) {
    io.stderr.write(`[nexus] unknown log ${JSON.stringify(which)}\n${LOGS_HELP}\n`);
    return 2;
  }
  const lines = values.lines === undefined ? 50 : Number(values.lines);
  if (!Number.isInteger(lines) || lines < 0) {
    io.stderr.write('[nexus] -n expects a non-negative integer\n');
    return 2;
  }
  const file = which === 'frontend' ? paths.frontendLog : paths.serverLog;
  const text = tailFile(file, lines);
  if (text === '' && !values.follow) {
    io.stdout.write(`(no log yet at ${file})\n`);
    return 0;
  }
  if (text) io.stdout.write(`${text}\n`);
  if (!values.follow) return 0;
  await follow(file, io);
  return 0;
}

function follow(file: string, io: CliIo): Promise<void> {
  let offset = size(file);
  return new Promise((resolve) => {
    const onChange = () => {
      const now = size(file);
      if (now < offset) offset = 0;
      if (now === offset) return;
      createReadStream(file, { start: offset, end: now - 1 }).pipe(io.stdout, { end: false });
      offset = now;
    };
    watchFile(file, { interval: 250 }, onChange);
    process.once('SIGINT', () => {
      unwatchFile(file, onChange);
      resolve();
    });
  });
}

function size(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}
