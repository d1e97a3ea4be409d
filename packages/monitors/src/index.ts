/**
 * @nexus/monitors — find live agent sessions on disk and follow their logs.
 */
export {
  decideLiveFiles,
  isLockHeld,
  isPidAlive,
  type LiveCandidate,
  type LivenessSignals,
} from './live-discovery.js';
export {
  createMonitor,
  type Monitor,
  type MonitorClock,
  type MonitorOptions,
  type WatchedRootInfo,
} from './monitor.js';
export { createProcessScanner, type ProcessLister, type ProcessScannerOptions } from './process-scanner.js';
export { type FileEvent, type RootWatcher, type RootWatcherOptions, watchRoots } from './root-watcher.js';
export {
  statFile,
  type TailBatch,
  type TailCheckpoint,
  TailReader,
  type TailReaderOptions,
} from './tail-reader.js';
