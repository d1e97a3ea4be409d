import { existsSync } from 'node:fs';
import { type FSWatcher, watch } from 'chokidar';

export type FileEvent = 'add' | 'change' | 'unlink';

export interface RootWatcherOptions {
  readonly roots: readonly string[];
  /** A log file (or its lock) was added, changed or removed. */
  readonly onFile: (event: FileEvent, path: string) => void;
  /** A root that did not exist has appeared (scan it: files already inside raise no event). */
  readonly onRootAppeared?: (root: string) => void;
  readonly onError?: (error: Error) => void;
  /** Poll instead of native events (network file systems). Default false. */
  readonly usePolling?: boolean;
  /** How often missing roots are looked for. Default 1 s. */
  readonly missingRootPollMs?: number;
}

export interface RootWatcher {
  /** Stop chokidar's own per-file work for a file the host now follows itself. */
  ignoreFile(path: string): void;
  /** Give a file back to chokidar (the host stopped following it). */
  restoreFile(path: string): void;
  close(): Promise<void>;
}

/** Session logs, their OpenClaw lock files; nothing else is worth an event. */
const INTERESTING = /\.jsonl(\.lock)?$/;

/**
 * chokidar on every root, recursively, including folders created later (a new Codex day folder, a new
 * subagents folder). Roots that do not exist yet (`~/.openclaw` before OpenClaw's first run) are looked
 * for every second and watched from the moment they appear.
 */
export function watchRoots(options: RootWatcherOptions): RootWatcher {
  const existing = options.roots.filter((root) => existsSync(root));
  const missing = new Set(options.roots.filter((root) => !existsSync(root)));
  const watcher: FSWatcher = watch(existing, {
    ignoreInitial: true,
    persistent: true,
    usePolling: options.usePolling ?? false,
    ignored: (path, stats) => (stats?.isFile() ?? false) && !INTERESTING.test(path),
  });
  watcher.on('add', (path) => options.onFile('add', path));
  watcher.on('change', (path) => options.onFile('change', path));
  watcher.on('unlink', (path) => options.onFile('unlink', path));
  watcher.on('error', (error) => options.onError?.(error as Error));

  const timer =
    missing.size > 0
      ? setInterval(() => {
          for (const root of [...missing]) {
            if (!existsSync(root)) continue;
            missing.delete(root);
            watcher.add(root);
            options.onRootAppeared?.(root);
          }
          if (missing.size === 0) clearInterval(timer);
        }, options.missingRootPollMs ?? 1000)
      : undefined;
  timer?.unref();

  return {
    ignoreFile: (path) => void watcher.unwatch(path),
    restoreFile: (path) => void watcher.add(path),
    async close() {
      if (timer) clearInterval(timer);
      await watcher.close();
    },
  };
}
