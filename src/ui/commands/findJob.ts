import * as path from 'path';
import * as vscode from 'vscode';
import type { CommandDeps } from '../commandDeps';
import type { Job } from '../../core/vocab/types';
import { rowText } from '../../core/vocab/format';
import { statusIcon } from '../jobTreeItem';
import { showOtherWorkspaces } from '../settings';
import { COMMANDS } from '../ids';
import { t } from '../l10n';
import { formatLocal } from '../../core/vocab/dates';

type JobItem = vscode.QuickPickItem & { job?: Job; older?: { stateDir: string; id: string; rank: number } };

/**
 * A quick pick over every job known: the open folders', and (read now if need be) every other
 * workspace's. Picking one reveals it in the Jobs view; a job the view cannot show opens its record.
 */
export function registerFindJob(deps: CommandDeps): vscode.Disposable {
  return vscode.commands.registerCommand(COMMANDS.findJob, async (query?: string) => {
    const qp = vscode.window.createQuickPick<JobItem>();
    qp.title = t('Find Codex Job');
    qp.placeholder = t('Search by id, prompt, review target, status or time');
    qp.matchOnDescription = true;
    qp.matchOnDetail = true;
    qp.busy = true;
    if (typeof query === 'string') qp.value = query;
    const now = Date.now();
    const item = (job: Job, where: string): JobItem => {
      const row = rowText(job, now, t);
      return {
        // The icon as an icon, not "$(id)" text in the label, which a screen reader reads out.
        iconPath: statusIcon(job.status),
        label: row.label,
        description: row.description,
        detail: `${job.id} · ${where}`,
        job,
      };
    };
    const open = [
      ...deps.model.folders.flatMap((f) => f.jobs.map((j) => item(j, f.folder.name))),
      ...olderItems(deps, now),
    ];
    qp.items = open;
    qp.show();
    // Other workspaces are read from disk: the open folders' jobs are listed meanwhile.
    void deps.others
      .ensure()
      .then((list) => {
        qp.items = [
          ...open,
          ...list.flatMap((w) => w.jobs.map((j) => item(j, `${w.name} (${path.basename(w.stateDirs[0].stateDir)})`))),
        ];
      })
      .finally(() => (qp.busy = false));
    const picked = await new Promise<JobItem | undefined>((resolve) => {
      qp.onDidAccept(() => resolve(qp.selectedItems[0]));
      qp.onDidHide(() => resolve(undefined));
    });
    qp.dispose();
    if (!picked) return undefined;
    const job = picked.job ?? (picked.older && (await showOlder(deps, picked.older)));
    if (!job) return undefined;
    const inOpenFolder = !!deps.model.findJob(job.stateDir, job.id);
    if (inOpenFolder || showOtherWorkspaces()) {
      if (await deps.reveal(job)) return job;
    }
    void vscode.window.showInformationMessage(
      t(
        'Codex Jobs: {0} ({1}) is in a workspace not open here; turn on "All Workspaces" to see it in the tree.',
        job.id,
        rowText(job, now, t).label,
      ),
    );
    return job;
  });
}

/**
 * The open folders' archived jobs beyond those the archive holds, from its index on disk (no entry
 * is read for the list): picking one holds the archive's window wide enough for it, and shows it.
 */
function olderItems(deps: CommandDeps, now: number): JobItem[] {
  return deps.model.folders.flatMap((f) =>
    f.snapshots.flatMap((s) =>
      deps.archive
        .rows(s.stateDir)
        .filter((r) => r.goneHow)
        .flatMap((r, rank) =>
          deps.model.findJob(s.stateDir, r.id)
            ? []
            : [
                {
                  iconPath: new vscode.ThemeIcon('history'),
                  // A title is file-borne text: never an icon of the label syntax.
                  label: (r.title ?? r.id).replace(/\$\(/g, '$\u200b('),
                  description: `${r.status ?? ''} · ${formatLocal(r.createdMs ?? r.firstSeenMs, now)}`,
                  detail: `${r.id} · ${f.folder.name} · ${t('archived')}`,
                  older: { stateDir: s.stateDir, id: r.id, rank },
                },
              ],
        ),
    ),
  );
}

async function showOlder(
  deps: CommandDeps,
  o: { stateDir: string; id: string; rank: number },
): Promise<Job | undefined> {
  await deps.archive.widen({ maxGone: o.rank + 1, maxAgeMs: Infinity }, [o.stateDir]);
  await deps.refresh.now('jobs', 'Find Job: an older job');
  return deps.model.findJob(o.stateDir, o.id);
}
