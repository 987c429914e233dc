// Shared set-up for core tests: a temp workspace, its state dir under a temp root, and a model.
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { JobArchive } from '../../src/core/archive/archive';
import { LiveUpdates } from '../../src/core/model/live';
import { JobsModel, type ModelChange } from '../../src/core/model/model';
import { createProcessTable } from '../../src/core/os/processes';
import { resolveWorkspaceRoot, stateDirName } from '../../src/core/discovery/discovery';
import { DEFAULT_SETTINGS, type CoreSettings, type Job, type ProcessTable } from '../../src/core/vocab/types';

export interface Sandbox {
  tmp: string;
  workspace: string;
  root: string;
  stateDir: string;
  cleanup(): Promise<void>;
}

export async function sandbox(name = 'ws'): Promise<Sandbox> {
  const tmp = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), 'codex-jobs-test-')));
  const workspace = path.join(tmp, name);
  await fs.mkdir(workspace);
  const root = path.join(tmp, 'state-root');
  const stateDir = path.join(root, await stateDirName(await resolveWorkspaceRoot(workspace)));
  return { tmp, workspace, root, stateDir, cleanup: () => fs.rm(tmp, { recursive: true, force: true }) };
}

export function modelFor(
  sb: Sandbox,
  settings: Partial<CoreSettings> = {},
  table: ProcessTable = createProcessTable(),
  archive?: JobArchive,
): JobsModel {
  const m = new JobsModel({
    archive,
    // An empty home and temp dir: the only root is the sandbox's.
    host: { env: {}, homedir: sb.tmp, tmpdir: path.join(sb.tmp, 'no-tmp'), platform: process.platform },
    table,
    settings: { ...DEFAULT_SETTINGS, extraRoots: [sb.root], ...settings },
  });
  m.setFolders([{ path: sb.workspace, name: path.basename(sb.workspace) }]);
  return m;
}

/**
 * Resolves at the first model change after which `ok()` holds, or once it holds without one: what the
 * archive copies in the background may settle after the model's last change (under load it often
 * does), so `ok()` is also looked at every 50 ms. The deadline is generous: a loaded machine is slow.
 */
export function waitFor(
  model: JobsModel,
  ok: () => boolean,
  /** What is awaited; a function is asked at the timeout, so it can say what was seen instead. */
  what: string | (() => string),
  ms = 30_000,
): Promise<ModelChange | undefined> {
  if (ok()) return Promise.resolve(undefined);
  return new Promise((resolve, reject) => {
    const done = (e: ModelChange | undefined) => {
      clearTimeout(timer);
      clearInterval(poll);
      sub.dispose();
      resolve(e);
    };
    const timer = setTimeout(() => {
      clearInterval(poll);
      sub.dispose();
      reject(new Error(`timed out after ${ms} ms waiting for ${typeof what === 'function' ? what() : what}`));
    }, ms);
    const poll = setInterval(() => ok() && done(undefined), 50);
    const sub = model.onDidChange((e) => ok() && done(e));
  });
}

export function record(id: string, fields: Record<string, unknown> = {}): Record<string, unknown> {
  const now = new Date().toISOString();
  return {
    id,
    kind: 'task',
    kindLabel: 'rescue',
    title: 'Codex Task',
    jobClass: 'task',
    status: 'completed',
    phase: 'done',
    pid: null,
    createdAt: now,
    startedAt: now,
    completedAt: now,
    ...fields,
  };
}

export async function writeJob(
  stateDir: string,
  rec: Record<string, unknown>,
  log = `[${new Date().toISOString()}] Starting Codex task.\n`,
): Promise<void> {
  await fs.mkdir(path.join(stateDir, 'jobs'), { recursive: true });
  await fs.writeFile(path.join(stateDir, 'jobs', `${rec.id as string}.json`), JSON.stringify(rec, null, 2));
  if (log) await fs.writeFile(path.join(stateDir, 'jobs', `${rec.id as string}.log`), log);
}

export async function writeIndex(stateDir: string, entries: Record<string, unknown>[]): Promise<void> {
  await fs.mkdir(stateDir, { recursive: true });
  await fs.writeFile(
    path.join(stateDir, 'state.json'),
    JSON.stringify(
      {
        version: 1,
        config: { stopReviewGate: false },
        jobs: entries.map((e) => ({ ...e, updatedAt: e.updatedAt ?? new Date().toISOString() })),
      },
      null,
      2,
    ),
  );
}

/** A job as the archive and the log view see it: its record says `status`, its log is `logFile` as it is now. */
export async function jobWithLog(
  stateDir: string,
  id: string,
  logFile: string,
  status: 'running' | 'completed' = 'running',
): Promise<Job> {
  const st = await fs.stat(logFile).catch(() => undefined);
  return {
    id,
    stateDir,
    display: { id, raw: {} },
    record: { id, status, raw: { id, status } },
    recordMtimeMs: 1,
    recordedStatus: status,
    status,
    flags: [],
    logPath: logFile,
    recordPath: '',
    log: st
      ? { exists: true, size: st.size, fileId: `${st.ino}:${st.birthtimeMs}`, progress: [] }
      : { exists: false, progress: [] },
  } as never;
}

/** A sandbox watched as the editor watches it: a model over an archive of its own, with live updates. */
export interface LiveRig {
  sb: Sandbox;
  archive: JobArchive;
  model: JobsModel;
  live: LiveUpdates;
}

export async function liveRig(): Promise<LiveRig> {
  const sb = await sandbox();
  const archive = new JobArchive(path.join(sb.tmp, 'archive'));
  const model = modelFor(sb, {}, createProcessTable(), archive);
  return { sb, archive, model, live: new LiveUpdates(model, { debounceMs: 20, archive }) };
}

/** Ends what liveRig started, the sandbox last. */
export async function closeRig(rig: LiveRig): Promise<void> {
  await rig.live.dispose();
  rig.model.dispose();
  await rig.archive.dispose();
  await rig.sb.cleanup();
}
