// `codex-jobs guard`: the guardian in the foreground, for one workspace or every one under the
// roots. It follows the state dirs as `watch` does (and archives what it sees, which is what it mends
// from), prints one line per action, and a summary of its writes when stopped (Ctrl-C, SIGTERM).
import * as path from 'path';
import { promises as fs } from 'fs';
import { LiveUpdates } from '../../core/model/live';
import { Guardian, guardianSummary, type GuardianAction } from '../../core/guardian/guardian';
import { enumerateStateDirs } from '../../core/discovery/discovery';
import { formatLocal } from '../../core/vocab/dates';
import { safeLine } from '../../core/vocab/terminalText';
import type { WorkspaceFolderRef } from '../../core/model/model';
import type { Args } from '../args';
import { checkStateRoots, cliArchive, modelFor, processTable, roots, workspaceFolder } from '../jobs';
import type { Output } from '../output';
import { untilStopped } from '../signals';
import { brokerScan } from './brokers';

/** With --all: the workspaces the state dirs' records name, that still exist (the guardian mends through a folder). */
async function allWorkspaces(a: Args): Promise<string[]> {
  await checkStateRoots(a);
  const dirs = await enumerateStateDirs(await roots(a));
  const m = modelFor(a, process.cwd());
  const { jobs } = await m.readStateDirs(dirs);
  m.dispose();
  const named = new Set(
    jobs.map((j) => j.display.workspaceRoot).filter((w): w is string => typeof w === 'string' && path.isAbsolute(w)),
  );
  const out: string[] = [];
  for (const w of named)
    if (
      await fs.stat(w).then(
        (s) => s.isDirectory(),
        () => false,
      )
    )
      out.push(w);
  return out;
}

function actionLine(act: GuardianAction): string {
  const when = formatLocal(act.atMs, act.atMs, { seconds: true });
  const who = act.id === undefined ? safeLine(path.basename(act.stateDir)) : safeLine(act.id);
  return `${when}  ${act.ok ? act.kind : `${act.kind} (not done)`}  ${who}  ${safeLine(act.message)}`;
}

export async function guardCommand(a: Args, io: Output): Promise<number> {
  const folders = a.all ? await allWorkspaces(a) : [await workspaceFolder(a, a.positional[0])];
  const m = modelFor(a, folders[0] ?? process.cwd());
  const refs: WorkspaceFolderRef[] = folders.map((f) => ({ path: f, name: path.basename(f) }));
  m.setFolders(refs);
  const live = new LiveUpdates(m, { archive: cliArchive(true) });
  const guardian = new Guardian({
    model: m,
    table: processTable(),
    graceMs: a.graceMs,
    settleMs: a.settleMs,
    scanBrokers: () => brokerScan({ ...a, graceMs: 30_000 }),
  });
  const sub = guardian.onDidAct((act) => void io.line(actionLine(act)));
  await live.start();
  guardian.start();
  const dirs = [...new Set(m.folders.flatMap((f) => f.snapshots.map((s) => s.stateDir)))];
  await io.line(
    `guarding ${dirs.length} state dir(s) of ${refs.length} workspace(s)` +
      `${dirs.length ? `: ${dirs.map(safeLine).join(', ')}` : ''} (Ctrl-C to stop)`,
  );
  const why = await untilStopped(io);
  // A second signal while it finishes (`timeout` and a terminal's Ctrl-C may send one to the whole
  // group too) must not cut the summary short: the write under way ends, then it exits.
  const hold = () => undefined;
  process.on('SIGINT', hold);
  process.on('SIGTERM', hold);
  guardian.dispose();
  await guardian.idle();
  sub.dispose();
  const c = guardian.counts;
  await io.line(
    `guardian stopped (${why}): ${c.writes} write(s): ${guardianSummary(c)}; ` +
      `${c.undone} undone by a concurrent writer and done again; ${c.refused} not done`,
  );
  await live.dispose();
  m.dispose();
  process.off('SIGINT', hold);
  process.off('SIGTERM', hold);
  return 0;
}
