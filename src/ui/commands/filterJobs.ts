import * as vscode from 'vscode';
import type { CommandDeps } from './deps';
import type { JobGroup } from '../../core/classify';
import { FILTER_KINDS, isFiltering, type JobFilter } from '../jobFilter';
import { groupLabel } from '../jobsTree';
import { KIND_WORDS } from '../jobsView';
import { COMMANDS } from '../ids';
import { t } from '../l10n';

type FilterItem = vscode.QuickPickItem & { apply: (f: JobFilter) => void };

function isFilterPreset(v: unknown): v is Partial<JobFilter> {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return false;
  const keys = Object.keys(v);
  const o = v as Record<string, unknown>;
  return (
    keys.length > 0 &&
    keys.every((k) => k === 'groups' || k === 'kinds' || k === 'latestSession') &&
    (o.groups === undefined || Array.isArray(o.groups)) &&
    (o.kinds === undefined || Array.isArray(o.kinds)) &&
    (o.latestSession === undefined || typeof o.latestSession === 'boolean')
  );
}

/** A multi-select of status groups, kinds and "latest session only"; the choice is kept per workspace. */
export function registerFilterJobs({ filter }: CommandDeps): vscode.Disposable {
  return vscode.commands.registerCommand(COMMANDS.filterJobs, async (preset?: Partial<JobFilter>) => {
    // Tests and keybindings may pass the filter instead of picking it. Anything else VS Code hands a
    // command (a title-bar click's context, say) is not a filter: it must open the picker, never
    // replace the filter the user set.
    if (isFilterPreset(preset)) {
      await filter.set({ groups: [], kinds: [], latestSession: false, ...preset });
      return filter.current;
    }
    const cur = filter.current;
    const groups: JobGroup[] = ['attention', 'running', 'recent'];

    const items: (FilterItem | vscode.QuickPickItem)[] = [
      { label: t('Status'), kind: vscode.QuickPickItemKind.Separator },
      ...groups.map((g): FilterItem => ({
        label: groupLabel(g),
        picked: cur.groups.includes(g),
        apply: (f) => f.groups.push(g),
      })),
      { label: t('Kind'), kind: vscode.QuickPickItemKind.Separator },
      ...FILTER_KINDS.map((k): FilterItem => ({
        label: t(KIND_WORDS[k]),
        picked: cur.kinds.includes(k),
        apply: (f) => f.kinds.push(k),
      })),
      { label: t('Session'), kind: vscode.QuickPickItemKind.Separator },
      {
        label: t('Latest session only'),
        description: t('jobs of the Claude session that started the newest job'),
        picked: cur.latestSession,
        apply: (f) => (f.latestSession = true),
      } as FilterItem,
    ];
    const picked = await vscode.window.showQuickPick(items, {
      canPickMany: true,
      title: t('Filter Codex Jobs'),
      placeHolder: t('Show only… (nothing picked: show all)'),
    });
    if (!picked) return undefined;
    const next: JobFilter = { groups: [], kinds: [], latestSession: false };
    for (const p of picked) (p as FilterItem).apply?.(next);
    await filter.set(next);
    return isFiltering(next) ? next : undefined;
  });
}
