// `codex-jobs status`: the jobs of a workspace (or of every workspace with --all), as a table or JSON.
import { countJobs } from '../../core/vocab/classify';
import { kindLabelOf, titleOf } from '../../core/vocab/format';
import type { Job } from '../../core/vocab/types';
import { findingsJson } from '../../core/io/findings';
import { readStopReviewGates } from '../../core/actions/reviewGate';
import { blocksStop } from '../../core/vocab/stopHook';
import { classifyJobError } from '../../core/vocab/errorKinds';
import { isoOf } from '../../core/vocab/dates';
import { modelEffortOf } from '../../core/actions/resume';
import type { Args } from '../args';
import { cliArchive, collect, printWarnings } from '../jobs';
import { historyWindow, shownJobs } from '../history';
import type { Output } from '../output';
import { jobsTable, totalsLine } from '../table';
import { safeJson, safeLine } from '../../core/vocab/terminalText';
import { tokensShort } from '../../core/usage/usageText';
import { jobUsages } from './usage';

/** One job in `status --json`; fields may be added, never renamed or removed. */
export function jobJson(j: Job) {
  const d = j.display;
  return {
    id: j.id,
    status: j.status,
    recordedStatus: j.recordedStatus ?? null,
    flags: j.flags,
    kind: d.kind ?? null,
    kindLabel: kindLabelOf(j),
    title: titleOf(j),
    phase: d.phase ?? null,
    pid: d.pid ?? null,
    verification: j.verification ? { outcome: j.verification.outcome, detail: j.verification.detail } : null,
    summary: d.summary ?? null,
    errorMessage: d.errorMessage ?? null,
    createdAt: d.createdAt ?? null,
    startedAt: d.startedAt ?? null,
    updatedAt: d.updatedAt ?? null,
    completedAt: d.completedAt ?? null,
    threadId: d.threadId ?? null,
    stateDir: j.stateDir,
    recordPath: j.recordPath,
    logPath: j.logPath,
    logBytes: j.log.size ?? null,
    archived: j.archived ? { how: j.archived.how, logPath: j.archived.logPath, logBytes: j.archived.logBytes } : null,
    inferred: j.inferred ? { status: j.inferred.status, evidence: j.inferred.evidence } : null,
    history: (j.history ?? []).map((h) => ({ ...h, at: isoOf(h.atMs) ?? null })),
    ...featureJson(j),
  };
}

/** Review findings as parsed, the error kind of a failed job, model and effort (issue #17). */
function featureJson(j: Job) {
  const e = classifyJobError(j);
  const { model, effort } = modelEffortOf(j);
  return {
    findings: findingsJson(j),
    blocksStop: blocksStop(j),
    error: e ? { kind: e.kind, description: e.description, resetAt: isoOf(e.resetAtMs) ?? null } : null,
    model: model ?? null,
    effort: effort ?? null,
  };
}

export async function statusCommand(a: Args, io: Output): Promise<number> {
  // The archive reads only the archived jobs shown (history.ts).
  cliArchive().setWindow(historyWindow(a));
  const collected = await collect(a, a.positional[0]);
  const r = { ...collected, jobs: shownJobs(collected.jobs, a) };
  // What each job spent, from its thread's Codex session file.
  const usages = await jobUsages(r.jobs);
  if (a.json) {
    const body = {
      workspace: r.workspace,
      stateDirs: r.stateDirs,
      stopReviewGate: await readStopReviewGates(r.stateDirs),
      counts: countJobs(r.jobs),
      jobs: r.jobs.map((j) => {
        const u = usages.get(j);
        return { ...jobJson(j), usage: u?.usage ?? null, usageReason: u?.reason ?? null };
      }),
      warnings: r.warnings,
    };
    await io.line(safeJson(body));
    return 0;
  }
  if (r.stateDirs.length === 0)
    await io.line(`No Codex companion state for ${r.workspace === null ? 'any workspace' : safeLine(r.workspace)}.`);
  const opts = {
    now: Date.now(),
    width: io.width,
    paint: io.paint.bind(io),
    extra: (j: Job) => {
      const u = usages.get(j)?.usage;
      return u ? tokensShort(u) : undefined;
    },
  };
  if (r.jobs.length) await io.line(jobsTable(r.jobs, opts).join('\n'));
  await io.line(totalsLine(r.jobs));
  printWarnings(r.warnings, (l) => io.error(l));
  return 0;
}
