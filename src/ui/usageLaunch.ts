// Before a launch from the editor: with the 5-hour window used above codexJobs.usage.warnAtPercent,
// say so with its reset time and offer to launch anyway, or to be asked again when it resets
// (a reminder, as Re-run at Reset: nothing starts by itself).
import * as vscode from 'vscode';
import { clock, usedNow } from '../core/usage/usageText';
import type { CommandDeps } from './commandDeps';
import { t } from './l10n';
import { usageWarnAtPercent } from './usageView';

/** Whether to go on with a launch now; `later` runs it when the user agrees at the reset. */
export async function quotaAllowsLaunch(deps: CommandDeps, label: string, later: () => void): Promise<boolean> {
  const w = deps.usage?.windows;
  const now = Date.now();
  const primary = w?.primary;
  if (!primary || usedNow(primary, now) < usageWarnAtPercent()) return true;
  const at = primary.resetsAtMs;
  const anyway = t('Launch Anyway');
  const atReset = t('Re-run at Reset');
  const used = Math.round(usedNow(primary, now));
  const message =
    at !== undefined
      ? t('Codex’s 5-hour window is {0} % used; it resets at {1}. Start the {2} now?', used, clock(at, now), label)
      : t('Codex’s 5-hour window is {0} % used. Start the {1} now?', used, label);
  const pick = await vscode.window.showWarningMessage(message, { modal: true }, anyway, ...(at ? [atReset] : []));
  if (pick === anyway) return true;
  if (pick === atReset && at !== undefined) {
    const start = t('Start');
    deps.reminders.scheduleKey(`launch:${label}:${at}`, at, () => {
      void vscode.window
        .showInformationMessage(t('Codex Jobs: the 5-hour window has reset. Start the {0} now?', label), start)
        .then((p) => p === start && later());
    });
    deps.output.info(`launch of a ${label} put off to the window's reset at ${new Date(at).toISOString()}`);
    void vscode.window.showInformationMessage(
      t('Codex Jobs: you will be asked at {0} (while this window is open) to start the {1}.', clock(at, now), label),
    );
  }
  return false;
}
