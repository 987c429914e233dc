// The Jobs view's filter: status groups, kinds and "latest session only", remembered per workspace
// (workspaceState). Empty lists mean "all"; the filter never hides a folder's problems.
import * as vscode from 'vscode';
import type { Job } from '../core/types';
import { groupOf, type JobGroup } from '../core/classify';
import { kindLabelOf, parseTime } from '../core/format';
import { FILTER_STATE_KEY } from './ids';

export interface JobFilter {
  groups: JobGroup[];
  /** kindLabel values: rescue, review, adversarial-review. */
  kinds: string[];
  /** Only jobs of the Claude session that started the newest job. */
  latestSession: boolean;
}

export const NO_FILTER: JobFilter = { groups: [], kinds: [], latestSession: false };

export const FILTER_KINDS = ['rescue', 'review', 'adversarial-review'] as const;

export function isFiltering(f: JobFilter): boolean {
  return f.groups.length > 0 || f.kinds.length > 0 || f.latestSession;
}

/** The session of the newest job that names one (jobs are listed newest first, but be sure). */
export function latestSessionOf(jobs: readonly Job[]): string | undefined {
  let best: { ms: number; session: string } | undefined;
  for (const j of jobs) {
    const s = j.display.sessionId;
    if (!s) continue;
    const ms = parseTime(j.display.createdAt) ?? parseTime(j.display.startedAt) ?? 0;
    if (!best || ms > best.ms) best = { ms, session: s };
  }
  return best?.session;
}

export function matchesFilter(f: JobFilter, job: Job, latestSession: string | undefined): boolean {
  if (f.groups.length && !f.groups.includes(groupOf(job))) return false;
  if (f.kinds.length && !f.kinds.includes(kindLabelOf(job))) return false;
  if (f.latestSession && latestSession !== undefined && job.display.sessionId !== latestSession) return false;
  return true;
}

function sanitize(v: unknown): JobFilter {
  const o = (v && typeof v === 'object' ? v : {}) as Partial<Record<keyof JobFilter, unknown>>;
  const list = (x: unknown, allowed: readonly string[]) =>
    Array.isArray(x) ? x.filter((s): s is string => typeof s === 'string' && allowed.includes(s)) : [];
  return {
    groups: list(o.groups, ['attention', 'running', 'recent']) as JobGroup[],
    kinds: list(o.kinds, FILTER_KINDS),
    latestSession: o.latestSession === true,
  };
}

/** The current filter, kept in the workspace's memento. */
export class FilterState implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<JobFilter>();
  readonly onDidChange = this.changed.event;
  private value: JobFilter;

  constructor(private readonly memento: vscode.Memento) {
    this.value = sanitize(memento.get(FILTER_STATE_KEY));
  }

  get current(): JobFilter {
    return this.value;
  }

  async set(f: JobFilter): Promise<void> {
    this.value = sanitize(f);
    await this.memento.update(FILTER_STATE_KEY, isFiltering(this.value) ? this.value : undefined);
    this.changed.fire(this.value);
  }

  dispose(): void {
    this.changed.dispose();
  }
}
