import { execFile } from 'node:child_process';

/** Lists the log files agent processes hold open. Injectable so discovery tests need no real processes. */
export interface ProcessLister {
  /** Paths of open files ending in `.jsonl`, held by processes with one of these names. */
  openLogFiles(processNames: readonly string[]): Promise<Set<string>>;
}

export interface ProcessScannerOptions {
  /** Per command. Default 1.2 s (DESIGN §4). */
  readonly timeoutMs?: number;
  /** Output cap per command. Default 8 MiB. */
  readonly maxBuffer?: number;
  readonly onWarning?: (message: string) => void;
}

function run(
  command: string,
  args: string[],
  options: Required<Pick<ProcessScannerOptions, 'timeoutMs' | 'maxBuffer'>>,
): Promise<string> {
  return new Promise((resolve, reject) => {
    // execFile, never a shell: nothing in a process list can be interpreted as a command.
    execFile(
      command,
      args,
      { timeout: options.timeoutMs, maxBuffer: options.maxBuffer, encoding: 'utf8' },
      (error, stdout) => {
        // lsof exits 1 when some pid had nothing to show; its output is still good.
        if (error && !stdout) reject(error);
        else resolve(stdout);
      },
    );
  });
}

function matchesName(comm: string, args: string, names: readonly string[]): boolean {
  const base = (value: string) => value.split('/').pop() ?? value;
  if (names.includes(base(comm))) return true;
  // Agents started through node (`node /usr/lib/node_modules/@anthropic-ai/claude-code/cli.js`) show as node.
  return args
    .split(/\s+/)
    .slice(0, 3)
    .some((token) => names.includes(base(token)) || names.some((name) => token.includes(`/${name}`)));
}

/** `ps` + `lsof`, as the original Nexus did; degrades to "no open files known" when lsof is missing. */
export function createProcessScanner(options: ProcessScannerOptions = {}): ProcessLister {
  const limits = { timeoutMs: options.timeoutMs ?? 1200, maxBuffer: options.maxBuffer ?? 8 * 1024 * 1024 };
  let lsofMissing = false;
  return {
    async openLogFiles(processNames) {
      const found = new Set<string>();
      if (processNames.length === 0 || lsofMissing) return found;
      let listing: string;
      try {
        listing = await run('ps', ['-eo', 'pid=,comm=,args='], limits);
      } catch (error) {
        options.onWarning?.(
          `[nexus] [monitors] ps failed (${(error as Error).message}); using recent files only`,
        );
        return found;
      }
      const pids: string[] = [];
      for (const line of listing.split('\n')) {
        const match = /^\s*(\d+)\s+(\S+)\s*(.*)$/.exec(line);
        if (match && matchesName(match[2]!, match[3] ?? '', processNames)) pids.push(match[1]!);
      }
      if (pids.length === 0) return found;
      try {
        const output = await run('lsof', ['-w', '-Fn', '-p', pids.join(',')], limits);
        for (const line of output.split('\n')) {
          if (line.startsWith('n') && line.endsWith('.jsonl')) found.add(line.slice(1));
        }
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
          lsofMissing = true;
          options.onWarning?.(
            '[nexus] [monitors] lsof is not installed; live sessions are found from recently modified files only',
          );
        } else {
          options.onWarning?.(
            `[nexus] [monitors] lsof failed (${(error as Error).message}); using recent files only`,
          );
        }
      }
      return found;
    },
  };
}
