// The Brokers view: orphans first (what the reaper would end), then brokers in use, starting, and
// those that are not ours to touch.
import * as path from 'path';
import * as vscode from 'vscode';
import type { BrokerMonitor } from '../core/brokers/brokerMonitor';
import type { BrokerClass, BrokerEntry } from '../core/brokers/brokers';
import { formatBytes, formatDuration } from '../core/vocab/format';
import { CONTEXT, NODE } from './ids';
import { t } from './l10n';
import { coloredIcon, type IconColor } from './iconColors';

export type BrokersNode =
  { type: 'group'; group: BrokerGroup; entries: BrokerEntry[] } | { type: 'broker'; entry: BrokerEntry };

type BrokerGroup = 'orphans' | 'in-use' | 'starting' | 'foreign';

const GROUPS: { group: BrokerGroup; label: string; classes: BrokerClass[]; icon: string }[] = [
  { group: 'orphans', label: 'Orphans', classes: ['orphan-live', 'dead'], icon: 'warning' },
  { group: 'in-use', label: 'In use', classes: ['in-use'], icon: 'plug' },
  { group: 'starting', label: 'Starting', classes: ['starting'], icon: 'loading~spin' },
  { group: 'foreign', label: 'Not ours or unknown (never touched)', classes: ['foreign', 'unknown'], icon: 'lock' },
];

/** The last group also takes any class no group names (a class added later is never hidden). */
function groupOfClass(c: BrokerClass): BrokerGroup {
  return (GROUPS.find((g) => g.classes.includes(c)) ?? GROUPS[GROUPS.length - 1]).group;
}

/** Per class: its icon and colour, and its word for rows and screen readers. */
const ICON: Record<BrokerClass, [string, IconColor | undefined]> = {
  'orphan-live': ['server-process', 'warning'],
  dead: ['trash', 'muted'],
  'in-use': ['server-process', 'passed'],
  starting: ['loading~spin', undefined],
  foreign: ['lock', undefined],
  unknown: ['question', undefined],
};

const CLASS_WORD: Record<BrokerClass, string> = {
  'orphan-live': 'orphan',
  dead: 'dead',
  'in-use': 'in use',
  starting: 'starting',
  foreign: 'not ours',
  unknown: 'unknown',
};

const isReapable = (c: BrokerClass): boolean => c === 'orphan-live' || c === 'dead';

export function brokerLabel(e: BrokerEntry): string {
  return e.dir ? path.basename(e.dir) : t('pid {0}', e.pid ?? '?');
}

/**
 * The workspace a broker serves, by the name of its state dir ("my-project-0123456789abcdef" is the
 * companion's slug of the folder, then a hash): its own, else the first that names it.
 */
export function brokerWorkspace(e: Pick<BrokerEntry, 'ownStateDir' | 'referencedBy'>): string | undefined {
  const dir = e.ownStateDir ?? e.referencedBy[0];
  return dir ? path.basename(dir).replace(/-[0-9a-f]{16}$/, '') : undefined;
}

const childWords = (n: number) => (n === 1 ? t('1 child') : t('{0} children', n));

/** Age, children, memory, workspace; the pid only when the label is not already the pid. */
export function brokerDescription(e: BrokerEntry): string {
  const parts = [e.class === 'dead' ? t('dead') : e.pid && e.dir ? t('pid {0}', e.pid) : ''];
  if (e.ageMs !== undefined) parts.push(formatDuration(e.ageMs));
  if (e.children.length) parts.push(childWords(e.children.length));
  if (e.rssBytes) parts.push(formatBytes(e.rssBytes));
  const ws = brokerWorkspace(e);
  if (ws) parts.push(t('for {0}', ws));
  return parts.filter(Boolean).join(' · ');
}

/** The row in a sentence for a screen reader: every figure says what it is. */
function brokerAccessibility(e: BrokerEntry): string {
  const ws = brokerWorkspace(e);
  return [
    ws
      ? t('{0} broker of workspace {1}, session dir {2}', t(CLASS_WORD[e.class] ?? e.class), ws, brokerLabel(e))
      : t('{0} broker, session dir {1}', t(CLASS_WORD[e.class] ?? e.class), brokerLabel(e)),
    e.class === 'dead' ? t('its process is gone') : e.pid ? t('process {0}', e.pid) : '',
    e.ageMs !== undefined ? t('running for {0}', formatDuration(e.ageMs)) : '',
    e.children.length ? childWords(e.children.length) : '',
    e.rssBytes ? t('{0} of memory', formatBytes(e.rssBytes)) : '',
  ]
    .filter(Boolean)
    .join(', ');
}

const brokerCount = (n: number) => (n === 1 ? t('1 broker') : t('{0} brokers', n));

export class BrokersTreeProvider implements vscode.TreeDataProvider<BrokersNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly subscription: { dispose(): void };

  constructor(private readonly monitor: BrokerMonitor) {
    this.subscription = monitor.onDidChange(() => {
      this.changed.fire();
      this.updateContext();
    });
    this.updateContext();
  }

  /** Reap in the title bar only when there is something to reap. */
  private updateContext(): void {
    const reapable = (this.monitor.scan?.entries ?? []).some((e) => isReapable(e.class));
    if (reapable === this.reapable) return;
    this.reapable = reapable;
    void vscode.commands.executeCommand('setContext', CONTEXT.hasReapable, reapable);
  }
  private reapable: boolean | undefined;

  getChildren(node?: BrokersNode): BrokersNode[] {
    if (node?.type === 'group') return node.entries.map((entry) => ({ type: 'broker', entry }));
    if (node) return [];
    const entries = this.monitor.scan?.entries ?? [];
    return GROUPS.map((g) => ({
      type: 'group' as const,
      group: g.group,
      entries: entries.filter((e) => groupOfClass(e.class) === g.group),
    })).filter((g) => g.entries.length > 0);
  }

  getTreeItem(node: BrokersNode): vscode.TreeItem {
    if (node.type === 'group') {
      const g = GROUPS.find((x) => x.group === node.group)!;
      const item = new vscode.TreeItem(
        t(g.label),
        node.group === 'foreign' ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.Expanded,
      );
      item.id = NODE.brokerGroup(g.group);
      item.description = String(node.entries.length);
      item.iconPath = coloredIcon(g.icon, g.group === 'orphans' ? 'warning' : undefined);
      item.contextValue = `brokerGroup ${g.group}`;
      item.accessibilityInformation = { label: `${t(g.label)}: ${brokerCount(node.entries.length)}` };
      return item;
    }
    const e = node.entry;
    const item = new vscode.TreeItem(brokerLabel(e), vscode.TreeItemCollapsibleState.None);
    item.id = NODE.broker(e.key);
    item.description = brokerDescription(e);
    const [icon, color] = ICON[e.class] ?? ['question', undefined];
    item.accessibilityInformation = { label: brokerAccessibility(e) };
    item.iconPath = coloredIcon(icon, color);
    item.contextValue = ['broker', e.class, isReapable(e.class) ? 'reapable' : ''].filter(Boolean).join(' ');
    const md = new vscode.MarkdownString(undefined, true);
    md.appendMarkdown(`**${t(CLASS_WORD[e.class] ?? e.class)}**: ${e.reason}\n\n`);
    const ws = brokerWorkspace(e);
    if (ws) md.appendMarkdown(`**${t('Workspace')}:** ${ws}  \n`);
    if (e.dir) md.appendMarkdown(`**${t('Session dir')}:** \`${e.dir}\`  \n`);
    if (e.pid) md.appendMarkdown(`**${t('PID')}:** ${e.pid}  \n`);
    if (e.endpoint) md.appendMarkdown(`**${t('Endpoint')}:** \`${e.endpoint}\`  \n`);
    if (e.referencedBy.length)
      md.appendMarkdown(`**${t('Named by')}:** ${e.referencedBy.map((r) => `\`${r}/broker.json\``).join(', ')}  \n`);
    if (e.files.length)
      md.appendMarkdown(
        `**${t('Files')}:** ${e.files.join(', ')}${e.otherFiles.length ? t(', and {0} other file(s)', e.otherFiles.length) : ''}  \n`,
      );
    for (const c of e.children)
      md.appendMarkdown(
        `**${t('Child {0}', c.pid)}:** \`${(c.argv ?? [])
          .map((a) => path.basename(a))
          .join(' ')
          .slice(0, 80)}\`  \n`,
      );
    item.tooltip = md;
    return item;
  }

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
  }
}
