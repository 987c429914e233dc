import * as path from 'path';
import * as vscode from 'vscode';
import type { CommandDeps } from '../commandDeps';
import type { Job } from '../../core/vocab/types';
import { resolveJob } from '../pickJob';
import { buildSarif } from '../../core/io/sarif';
import { sarifFileName, writeSarifFile } from '../../core/io/sarifFile';
import { isReadableReview, reviewFindingsOf } from '../../core/io/reviewFindings';
import { reviewTargetOf } from '../../core/io/reviewSeries';
import { findingRoot } from '../findingNodes';
import { registerTrustedCommand } from '../trustedCommand';
import { COMMANDS, EXTENSION_ID } from '../ids';
import { t } from '../l10n';

/** Where Codex's own files are: no SARIF file is ever written inside one of these. */
function protectedDirs({ model, others }: CommandDeps): string[] {
  const plan = model.watchPlan();
  return [
    ...plan.stateDirs,
    ...plan.roots,
    ...model.roots.map((r) => r.path),
    ...new Set(model.allJobs().map((j) => j.stateDir)),
    ...(others.workspaces ?? []).flatMap((w) => w.stateDirs.flatMap((s) => [s.stateDir, s.root.path])),
    ...(model.archive ? [model.archive.dir] : []),
  ];
}

/** The folder the save dialog opens in: the job's workspace folder, as the editor knows it. */
function folderUri(deps: CommandDeps, job: Job): vscode.Uri | undefined {
  const folder = deps.model.folders.find((f) => f.snapshots.some((s) => s.stateDir === job.stateDir));
  const open = vscode.workspace.workspaceFolders ?? [];
  return (
    (folder && open.find((w) => w.uri.fsPath === folder.folder.path)?.uri) ??
    (folder && vscode.Uri.file(folder.folder.path)) ??
    open[0]?.uri
  );
}

/** A file the person chose: a path this extension host can write (`file`, or the remote's own files). */
async function askTarget(deps: CommandDeps, job: Job, given: unknown): Promise<string | undefined> {
  // Scripts and tests name the file; a tree menu's second argument (the selection) is no object with one.
  const scripted = (given as { target?: unknown } | undefined)?.target;
  if (typeof scripted === 'string' && !Array.isArray(given)) return scripted;
  const dir = folderUri(deps, job);
  const uri = await vscode.window.showSaveDialog({
    defaultUri: dir ? vscode.Uri.joinPath(dir, sarifFileName(job.id)) : undefined,
    filters: { SARIF: ['sarif', 'json'] },
    saveLabel: t('Export'),
    title: t('Export the findings of {0} as SARIF', job.id),
  });
  if (!uri) return undefined;
  if (uri.scheme !== 'file' && uri.scheme !== 'vscode-remote') {
    void vscode.window.showWarningMessage(
      t('Codex Jobs: {0} is not a file on this machine; nothing was written.', uri.toString()),
    );
    return undefined;
  }
  return uri.fsPath;
}

/**
 * Codex Jobs: Export Findings as SARIF…: a completed review's findings (the adversarial review's JSON
 * or the native review's text) as a SARIF 2.1.0 file the person names, then an offer to open it.
 */
export function registerExportFindingsSarif(deps: CommandDeps): vscode.Disposable {
  const { model, output } = deps;
  return registerTrustedCommand(
    COMMANDS.exportFindingsSarif,
    t('Export Findings as SARIF'),
    async (arg?: unknown, given?: unknown) => {
      const job = await resolveJob(model, arg, {
        placeHolder: t('Export the findings of which review?'),
        filter: isReadableReview,
      });
      if (!job) return undefined;
      const review = isReadableReview(job) ? reviewFindingsOf(job) : undefined;
      const folder = model.folders.find((f) => f.snapshots.some((s) => s.stateDir === job.stateDir));
      const root = folder ? findingRoot(folder) : job.display.workspaceRoot;
      if (!review || !root) {
        void vscode.window.showWarningMessage(
          t('Codex Jobs: {0} is not a completed review whose findings can be read.', job.id),
        );
        return undefined;
      }
      const target = await askTarget(deps, job, given);
      if (!target) return undefined;
      const log = buildSarif({
        findings: review.findings,
        total: review.total,
        toolVersion: String(vscode.extensions.getExtension(EXTENSION_ID)?.packageJSON?.version ?? '0.0.0'),
        workspaceRoot: root,
        jobId: job.id,
        target: reviewTargetOf(job.display) ?? job.display.summary,
        reviewKind: job.display.kind,
      });
      const written = await writeSarifFile(path.resolve(target), log, protectedDirs(deps));
      if (!written.ok) {
        void vscode.window.showWarningMessage(t('Codex Jobs: not exported: {0}', written.message));
        return undefined;
      }
      const n = log.runs[0].results.length;
      output.info(
        `findings: ${n} of ${job.id}'s findings written as SARIF to ${written.path} (${written.bytes} bytes)`,
      );
      const uri = vscode.Uri.file(written.path);
      void vscode.window
        .showInformationMessage(
          t('Codex Jobs: wrote {0} finding(s) of {1} to {2}.', n, job.id, written.path),
          t('Open'),
        )
        .then((pick) => (pick ? vscode.window.showTextDocument(uri) : undefined));
      return uri;
    },
  );
}
