import { performance } from 'node:perf_hooks';
import type {
  AdapterRoot,
  LineParser,
  LivenessRules,
  LogFileInfo,
  NexusAdapter,
  NormalizedEvent,
} from '@nexus/parsers';
import type { PluginErrorCode } from './codes.js';

/** What the guard tells the host about a plugin's adapter misbehaving at run time. */
export interface PluginFault {
  readonly plugin: string;
  readonly adapterId: string;
  readonly code: Extract<PluginErrorCode, 'NEXUS_PLUGIN_FAULT' | 'NEXUS_PLUGIN_DISABLED'>;
  readonly message: string;
}

export interface GuardOptions {
  /** Package name or file of the plugin, for messages. */
  readonly plugin: string;
  readonly onFault: (fault: PluginFault) => void;
  /** The adapter is switched off after this many faults. Default 20. */
  readonly maxFaults?: number;
  /** One call taking longer than this switches the adapter off (it is stalling the host). Default 1000 ms. */
  readonly slowCallMs?: number;
  readonly now?: () => number;
}

/** The run-time state of a guarded adapter. */
export interface GuardState {
  faults: number;
  disabled: boolean;
  reason?: string;
}

/**
 * Wrap a plugin's adapter so nothing it does can take the host down: every call is caught and timed;
 * a throw or a malformed result counts as a fault and yields nothing; too many faults, or one call slow
 * enough to stall the event loop, switch the adapter off (it then classifies no file and parses no line).
 * A call that never returns cannot be pre-empted in this thread: the load-time probe catches modules
 * that block while loading, and the slow-call limit catches adapters that stall without hanging.
 */
export function guardAdapter(
  adapter: NexusAdapter,
  options: GuardOptions,
): { adapter: NexusAdapter; state: GuardState } {
  const state: GuardState = { faults: 0, disabled: false };
  const maxFaults = options.maxFaults ?? 20;
  const slowCallMs = options.slowCallMs ?? 1000;
  const now = options.now ?? (() => performance.now());
  const disable = (reason: string) => {
    if (state.disabled) return;
    state.disabled = true;
    state.reason = reason;
    options.onFault({
      plugin: options.plugin,
      adapterId: adapter.id,
      code: 'NEXUS_PLUGIN_DISABLED',
      message: `[nexus] [plugins] ${options.plugin} (adapter ${adapter.id}) switched off: ${reason}. Nexus keeps running without it.`,
    });
  };
  const fault = (where: string, detail: string) => {
    state.faults++;
    options.onFault({
      plugin: options.plugin,
      adapterId: adapter.id,
      code: 'NEXUS_PLUGIN_FAULT',
      message: `[nexus] [plugins] ${options.plugin} (adapter ${adapter.id}) ${where}: ${detail}`,
    });
    if (state.faults >= maxFaults) disable(`${state.faults} faults`);
  };
  /** Run one adapter call: the fallback when it throws, is slow or the adapter is off. */
  const call = <T>(
    where: string,
    fallback: T,
    run: () => T,
    valid: (value: T) => boolean = () => true,
  ): T => {
    if (state.disabled) return fallback;
    const started = now();
    let value: T;
    try {
      value = run();
    } catch (error) {
      fault(where, `threw ${error instanceof Error ? error.message : String(error)}`);
      return fallback;
    }
    const took = now() - started;
    if (took > slowCallMs) {
      disable(`${where} took ${Math.round(took)} ms (limit ${slowCallMs} ms)`);
      return fallback;
    }
    if (!valid(value)) {
      fault(where, 'returned a value of the wrong shape');
      return fallback;
    }
    return value;
  };

  const isEventList = (events: NormalizedEvent[]): boolean => {
    if (!Array.isArray(events)) return false;
    for (const event of events) {
      if (typeof event !== 'object' || event === null) return false;
      if (typeof event.type !== 'string' || typeof event.sessionId !== 'string') return false;
    }
    return true;
  };

  const liveness: LivenessRules = {
    ...adapter.liveness,
    ...(adapter.liveness.lockFileFor
      ? {
          lockFileFor: (logPath: string) =>
            call<string | undefined>('liveness.lockFileFor', undefined, () =>
              adapter.liveness.lockFileFor?.(logPath),
            ),
        }
      : {}),
  };

  // Members are copied one by one: a plugin may hand over a class instance, whose methods a spread loses.
  const guarded: NexusAdapter = {
    apiVersion: adapter.apiVersion,
    id: adapter.id,
    displayName: adapter.displayName,
    ...(adapter.color === undefined ? {} : { color: adapter.color }),
    rootEnvVars: adapter.rootEnvVars,
    ...(adapter.usageLineFilter === undefined ? {} : { usageLineFilter: adapter.usageLineFilter }),
    ...(adapter.store === undefined ? {} : { store: adapter.store }),
    liveness,
    resolveRoots: (environment) =>
      call<readonly AdapterRoot[]>(
        'resolveRoots',
        [],
        () => adapter.resolveRoots(environment),
        (roots) =>
          Array.isArray(roots) &&
          roots.every(
            (root) => typeof root?.path === 'string' && (root.role === 'live' || root.role === 'history'),
          ),
      ),
    classifyFile: (relativePath, root) =>
      call<LogFileInfo | null>(
        'classifyFile',
        null,
        () => adapter.classifyFile(relativePath, root),
        (info) =>
          info === null ||
          (typeof info === 'object' &&
            typeof info.sessionId === 'string' &&
            typeof info.group === 'string' &&
            ['session', 'subagent', 'archive'].includes(info.kind)),
      ),
    createParser(file, context) {
      const inner = call<LineParser | undefined>('createParser', undefined, () =>
        adapter.createParser(file, context),
      );
      return {
        // The hot path (every line of every file): the same checks as `call`, without a closure per line.
        parseLine(line, position) {
          if (!inner || state.disabled) return [];
          const started = now();
          let events: NormalizedEvent[];
          try {
            events = inner.parseLine(line, position);
          } catch (error) {
            fault('parseLine', `threw ${error instanceof Error ? error.message : String(error)}`);
            return [];
          }
          const took = now() - started;
          if (took > slowCallMs) {
            disable(`parseLine took ${Math.round(took)} ms (limit ${slowCallMs} ms)`);
            return [];
          }
          if (!isEventList(events)) {
            fault('parseLine', 'returned a value of the wrong shape');
            return [];
          }
          return events;
        },
        snapshot: () => (inner ? call<unknown>('snapshot', undefined, () => inner.snapshot()) : undefined),
        restore: (saved) => {
          if (inner) call('restore', undefined, () => inner.restore(saved));
        },
      };
    },
  };
  return { adapter: guarded, state };
}
