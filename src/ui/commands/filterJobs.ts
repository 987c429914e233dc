import * as vscode from 'vscode';
import type { CommandDeps } from '../commandDeps';
import type { JobGroup } from '../../core/vocab/classify';
import {
  applyPreset,
  FILTER_KINDS,
  GROUP_BYS,
  isFiltering,
  NO_FILTER,
  SORT_BYS,
  type GroupBy,
  type JobFilter,
  type SortBy,
} from '../jobGrouping';
import { groupLabel } from '../jobsTree';
import { KIND_WORDS } from '../jobsView';
import { COMMANDS } from '../ids';
import { t } from '../l10n';
import { isObject } from '../../core/vocab/values';

const PRESET_KEYS: readonly (keyof JobFilter)[] = [
  'groups',
  'kinds',
  'latestSession',
  'hideFinished',
  'groupBy',
  'sortBy',
];

/**
 * A filter handed to the command (tests, keybindings, links), told apart from what VS Code hands a
 * command clicked in a title bar (a context object): only the filter's own keys, each of its type.
 */
function isFilterPreset(o: unknown): o is Partial<JobFilter> {
  if (!isObject(o)) return false;
  const keys = Object.keys(o);
  const oneOf = (x: unknown, allowed: readonly string[]) => x === undefined || allowed.includes(x as string);
  const flag = (x: unknown) => x === undefined || typeof x === 'boolean';
  return (
    keys.length > 0 &&
    keys.every((k) => (PRESET_KEYS as readonly string[]).includes(k)) &&
    (o.groups === undefined || Array.isArray(o.groups)) &&
    (o.kinds === undefined || Array.isArray(o.kinds)) &&
    flag(o.latestSession) &&
    flag(o.hideFinished) &&
    oneOf(o.groupBy, GROUP_BYS) &&
    oneOf(o.sortBy, SORT_BYS)
  );
}

/** The grouping and order in words, for the picker (label, then what it means). */
export const GROUP_BY_WORDS: Record<GroupBy, [string, string]> = {
  status: ['Status', 'Needs attention, Running, Recent'],
  session: ['Session', 'the Claude session that started each job, newest first'],
  date: ['Date', 'Today, Yesterday, This week, Older, by when each job started'],
  none: ['None', 'one list'],
};

export const SORT_BY_WORDS: Record<SortBy, [string, string]> = {
  newest: ['Newest first', 'by when each job started'],
  oldest: ['Oldest first', 'by when each job started'],
  status: ['Status', 'needs attention, live, then finished'],
  name: ['Name', 'what the job is about, A to Z'],
};

type Choice = 'groupBy' | 'sortBy';
type FilterItem = vscode.QuickPickItem & { apply?: (f: JobFilter) => void; choose?: Choice };

/** What the main picker ended with: applied, dismissed, or one of the single choices to make first. */
type MainResult =
  { kind: 'accept'; next: JobFilter } | { kind: 'cancel' } | { kind: 'choose'; choice: Choice; next: JobFilter };

/**
 * The filter picker: a multi-select of what to show (status groups, kinds, latest session only,
 * Hide Finished), then "Group by: …" and "Sort by: …" items, each opening a single choice and coming
 * back here. Nothing changes until the picker is accepted; Escape leaves the filter as it was.
 */
export function registerFilterJobs({ filter }: CommandDeps): vscode.Disposable {
  return vscode.commands.registerCommand(COMMANDS.filterJobs, async (preset?: Partial<JobFilter>) => {
    // Tests and keybindings may pass the filter instead of picking it. Anything else VS Code hands a
    // command (a title-bar click's context, say) is not a filter: it must open the picker, never
    // replace the filter the user set.
    if (isFilterPreset(preset)) {
      await filter.set(applyPreset(filter.current, preset));
      return filter.current;
    }
    let draft: JobFilter = filter.current;
    for (;;) {
      const r = await pickMain(draft);
      if (r.kind === 'cancel') return undefined;
      if (r.kind === 'accept') {
        await filter.set(r.next);
        return isFiltering(r.next) ? r.next : undefined;
      }
      // The checks made so far are kept in the draft; the single choice comes back to the picker.
      draft = r.next;
      const value = await pickOne(r.choice, draft);
      if (value) draft = { ...draft, [r.choice]: value };
    }
  });
}

function mainItems(cur: JobFilter): FilterItem[] {
  const groups: JobGroup[] = ['attention', 'running', 'recent'];
  return [
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
    },
    { label: t('Finished jobs'), kind: vscode.QuickPickItemKind.Separator },
    {
      label: t('Hide finished'),
      description: t('completed, failed and cancelled jobs that need nothing (nothing is deleted)'),
      picked: cur.hideFinished,
      apply: (f) => (f.hideFinished = true),
    },
    { label: t('Arrange'), kind: vscode.QuickPickItemKind.Separator },
    {
      label: `$(list-tree) ${t('Group by: {0}', t(GROUP_BY_WORDS[cur.groupBy][0]))}`,
      description: t('choose…'),
      choose: 'groupBy',
    },
    {
      label: `$(list-ordered) ${t('Sort by: {0}', t(SORT_BY_WORDS[cur.sortBy][0]))}`,
      description: t('choose…'),
      choose: 'sortBy',
    },
  ];
}

/** The checked items as a filter, with the draft's grouping and order. */
function fromChecked(draft: JobFilter, checked: readonly FilterItem[]): JobFilter {
  const next: JobFilter = { ...NO_FILTER, groups: [], kinds: [], groupBy: draft.groupBy, sortBy: draft.sortBy };
  for (const p of checked) p.apply?.(next);
  return next;
}

/**
 * The multi-select. Checking "Group by" or "Sort by" (a click, or Space) leaves it for that choice,
 * keeping the other checks; Enter or OK applies.
 */
function pickMain(draft: JobFilter): Promise<MainResult> {
  const qp = vscode.window.createQuickPick<FilterItem>();
  qp.canSelectMany = true;
  qp.title = t('Filter Codex Jobs');
  qp.placeholder = t('Show only… (nothing picked: show all)');
  qp.items = mainItems(draft);
  qp.selectedItems = qp.items.filter((i) => i.picked);
  return new Promise((resolve) => {
    let done = false;
    const finish = (how: 'accept' | 'cancel' | Choice) => {
      if (done) return;
      done = true;
      const next = fromChecked(
        draft,
        qp.selectedItems.filter((i) => !i.choose),
      );
      resolve(
        how === 'cancel'
          ? { kind: how }
          : how === 'accept'
            ? { kind: how, next }
            : { kind: 'choose', choice: how, next },
      );
      qp.dispose();
    };
    qp.onDidChangeSelection((sel) => {
      const choice = sel.find((i) => i.choose)?.choose;
      if (choice) finish(choice);
    });
    qp.onDidAccept(() => finish('accept'));
    qp.onDidHide(() => finish('cancel'));
    qp.show();
  });
}

/** A single choice of grouping or order, the current one first in focus and marked. */
async function pickOne(choice: Choice, draft: JobFilter): Promise<string | undefined> {
  const words: Record<string, [string, string]> = choice === 'groupBy' ? GROUP_BY_WORDS : SORT_BY_WORDS;
  const current = draft[choice];
  const qp = vscode.window.createQuickPick<vscode.QuickPickItem & { value: string }>();
  qp.title = choice === 'groupBy' ? t('Group Codex Jobs by') : t('Sort Codex Jobs by');
  qp.placeholder = t('Pick one (Escape: back to the filter)');
  qp.items = Object.entries(words).map(([value, [label, detail]]) => ({
    value,
    label: value === current ? `$(check) ${t(label)}` : t(label),
    description: value === current ? t('{0} (current)', t(detail)) : t(detail),
  }));
  qp.activeItems = qp.items.filter((i) => i.value === current);
  return new Promise((resolve) => {
    let value: string | undefined;
    qp.onDidAccept(() => {
      value = qp.selectedItems[0]?.value;
      qp.hide();
    });
    qp.onDidHide(() => {
      resolve(value);
      qp.dispose();
    });
    qp.show();
  });
}
