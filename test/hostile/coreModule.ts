// Loads one module of a compiled core by its name, from CODEX_JOBS_HOSTILE_CORE (default: this
// build's). The core is in folders by concern; an older build (to run a case against the old code)
// may have them flat, so the flat path is tried when the folder's is not there.
import * as fs from 'fs';
import * as path from 'path';

const FOLDER: Record<string, string> = {
  types: 'vocab',
  status: 'vocab',
  keys: 'vocab',
  format: 'vocab',
  dates: 'vocab',
  errorKinds: 'vocab',
  emitter: 'vocab',
  async: 'vocab',
  boundedCache: 'vocab',
  argCheck: 'vocab',
  terminalText: 'vocab',
  classify: 'vocab',
  stopHook: 'vocab',
  safeFs: 'io',
  reader: 'io',
  findings: 'io',
  logInference: 'io',
  preflight: 'io',
  childProcess: 'os',
  processes: 'os',
  identity: 'os',
  terminate: 'os',
  roots: 'discovery',
  discovery: 'discovery',
  companion: 'discovery',
  snapshot: 'state',
  reconcile: 'state',
  watcher: 'state',
  logCatcher: 'state',
  verify: 'state',
  heldLogs: 'state',
  reverifyTimer: 'state',
  archive: 'archive',
  archiveCopier: 'archive',
  archiveStore: 'archive',
  jobLog: 'archive',
  brokers: 'brokers',
  brokerMonitor: 'brokers',
  reaper: 'brokers',
  launcher: 'actions',
  lock: 'actions',
  cancel: 'actions',
  repair: 'actions',
  resume: 'actions',
  reviewGate: 'actions',
  companionCommand: 'actions',
  model: 'model',
  live: 'model',
};

export function coreModule<T>(core: string, name: string): T {
  const inFolder = path.join(core, FOLDER[name] ?? '', `${name}.js`);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(fs.existsSync(inFolder) ? inFolder : path.join(core, name)) as T;
}
