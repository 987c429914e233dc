// How the Jobs view arranges a folder's jobs: which it shows (the filter, Hide Finished), in which
// groups (by status, session or date, or none) and in which order. No vscode here, so the core tests
// check it as it is; jobFilter.ts keeps the choice per workspace, jobsTree.ts renders it.
import type { Job } from '../core/vocab/types';
import { groupOf, type JobGroup } from '../core/vocab/classify';
import {
  english,
  hhmm,
  kindLabelOf,
  kindPrefixOf,
  parseTime,
  relativeTime,
  startedMs,
  summaryOf,
  type Translate,
} from '../core/vocab/format';

export type GroupBy = 'status' | 'session' | 'date' | 'none';
export type SortBy = 'newest' | 'oldest' | 'status' | 'name';

export const GROUP_BYS: readonly GroupBy[] = ['status', 'session', 'date', 'none'];
export const SORT_BYS: readonly SortBy[] = ['newest', 'oldest', 'status', 'name'];
export const FILTER_KINDS = ['rescue', 'review', 'adversarial-review'] as const;
const STATUS_GROUPS: readonly JobGroup[] = ['attention', 'running', 'recent'];

export interface JobFilter {
  /** Status groups shown (empty: all). */
  groups: JobGroup[];
  /** kindLabel values: rescue, review, adversarial-review (empty: all). */
  kinds: string[];
  /** Only jobs of the Claude session that started the newest job. */
  latestSession: boolean;
  /** Hides finished jobs that need nothing (the Recent group). A view filter: nothing is deleted. */
  hideFinished: boolean;
  /** How jobs are grouped, and their order inside each group: they arrange, never hide. */
  groupBy: GroupBy;
  sortBy: SortBy;
}

export const NO_FILTER: JobFilter = {
  groups: [],
  kinds: [],
  latestSession: false,
  hideFinished: false,
  groupBy: 'status',
  sortBy: 'newest',
};

/** Whether the filter hides any job (grouping and sorting hide none). */
export function isFiltering(f: JobFilter): boolean {
  return f.groups.length > 0 || f.kinds.length > 0 || f.latestSession || f.hideFinished;
}

/** Nothing to remember: no job hidden, grouped by status, newest first. */
export function isDefaultFilter(f: JobFilter): boolean {
  return !isFiltering(f) && f.groupBy === NO_FILTER.groupBy && f.sortBy === NO_FILTER.sortBy;
}

/**
 * A stored or handed-in filter made valid: unknown keys and values dropped, missing ones at their
 * defaults (a filter stored before grouping existed reads as grouped by status, newest first).
 */
export function sanitizeFilter(v: unknown): JobFilter {
  const o = (v && typeof v === 'object' ? v : {}) as Partial<Record<keyof JobFilter, unknown>>;
  const list = (x: unknown, allowed: readonly string[]) =>
    Array.isArray(x) ? [...new Set(x.filter((s): s is string => typeof s === 'string' && allowed.includes(s)))] : [];
  const one = <T extends string>(x: unknown, allowed: readonly T[], fallback: T): T =>
    allowed.includes(x as T) ? (x as T) : fallback;
  return {
    groups: list(o.groups, STATUS_GROUPS) as JobGroup[],
    kinds: list(o.kinds, FILTER_KINDS),
    latestSession: o.latestSession === true,
    hideFinished: o.hideFinished === true,
    groupBy: one(o.groupBy, GROUP_BYS, NO_FILTER.groupBy),
    sortBy: one(o.sortBy, SORT_BYS, NO_FILTER.sortBy),
  };
}

/**
 * A preset (a keybinding's or a link's argument, Clear Filter's `{}`) applied to the current filter:
 * what hides jobs is the preset's alone (what it leaves out: nothing hidden); the grouping and the
 * order stay as they are unless it names them.
 */
export function applyPreset(cur: JobFilter, preset: Partial<JobFilter>): JobFilter {
  return sanitizeFilter({
    ...NO_FILTER,
    groupBy: cur.groupBy,
    sortBy: cur.sortBy,
    ...preset,
  });
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

/** Finished and needing nothing: what Hide Finished hides (the Recent group). */
export function isQuietFinished(job: Job): boolean {
  return groupOf(job) === 'recent';
}

export function matchesFilter(f: JobFilter, job: Job, latestSession: string | undefined): boolean {
  if (f.groups.length && !f.groups.includes(groupOf(job))) return false;
  if (f.kinds.length && !f.kinds.includes(kindLabelOf(job))) return false;
  if (f.latestSession && latestSession !== undefined && job.display.sessionId !== latestSession) return false;
  if (f.hideFinished && isQuietFinished(job)) return false;
  return true;
}

/** The jobs of a folder the filter lets through, in the folder's order. */
export function visibleJobs(f: JobFilter, jobs: readonly Job[]): Job[] {
  if (!isFiltering(f)) return [...jobs];
  const session = f.latestSession ? latestSessionOf(jobs) : undefined;
  return jobs.filter((j) => matchesFilter(f, j, session));
}

// ---- Sorting ----

const RANK: Record<JobGroup, number> = { attention: 0, running: 1, recent: 2 };
const collator = new Intl.Collator(undefined, { sensitivity: 'base', numeric: true });

/** Two times compared, later first (or earlier first); no time after any time. */
function byTime(x: number | undefined, y: number | undefined, newest = true): number {
  if (x === undefined || y === undefined) return x === y ? 0 : x === undefined ? 1 : -1;
  return newest ? y - x : x - y;
}

/** Newest first by start time; jobs with no time last (they keep their order among themselves). */
const byNewest = (a: Job, b: Job): number => byTime(startedMs(a), startedMs(b));

/** "review: working tree diff", as the row reads. */
const labelOf = (job: Job): string => `${kindPrefixOf(job)}: ${summaryOf(job)}`;

/** The jobs in the chosen order (a new array; the sort is stable, ties newest first). */
export function sortJobs(jobs: readonly Job[], sortBy: SortBy): Job[] {
  const out = [...jobs];
  switch (sortBy) {
    case 'newest':
      return out.sort(byNewest);
    case 'oldest':
      return out.sort((a, b) => byTime(startedMs(a), startedMs(b), false));
    case 'status':
      return out.sort((a, b) => RANK[groupOf(a)] - RANK[groupOf(b)] || byNewest(a, b));
    case 'name': {
      const label = new Map(out.map((j) => [j, labelOf(j)]));
      return out.sort((a, b) => collator.compare(label.get(a)!, label.get(b)!) || byNewest(a, b));
    }
  }
}

// ---- Grouping ----

/** One group of the view: its key is part of the tree node's id, so it never holds a time or a count. */
export interface JobBucket {
  /** 'attention' | 'running' | 'recent'; 'session:id:<session>' | 'session:none'; 'date:today' … */
  key: string;
  label: string;
  /** A codicon id. */
  icon: string;
  jobs: Job[];
}

const STATUS_BUCKETS: Record<JobGroup, { label: string; icon: string }> = {
  attention: { label: 'Needs attention', icon: 'warning' },
  running: { label: 'Running', icon: 'play-circle' },
  recent: { label: 'Recent', icon: 'history' },
};

export function statusGroupLabel(group: JobGroup, t: Translate = english): string {
  return t(STATUS_BUCKETS[group].label);
}

type DateBucket = 'today' | 'yesterday' | 'week' | 'older' | 'unknown';
const DATE_BUCKETS: Record<DateBucket, string> = {
  today: 'Today',
  yesterday: 'Yesterday',
  week: 'This week',
  older: 'Older',
  unknown: 'Date unknown',
};

/** Local midnight `daysBack` days before the day of `now` (by the calendar, so DST days count as one). */
export function localDayStart(now: number, daysBack = 0): number {
  const d = new Date(now);
  return new Date(d.getFullYear(), d.getMonth(), d.getDate() - daysBack).getTime();
}

/**
 * Today, Yesterday, This week (the five days before yesterday, the days a row names by weekday:
 * "Mon 14:05"), Older; a start in the future (a skewed clock) is today.
 */
export function dateBucketOf(ms: number | undefined, now: number): DateBucket {
  if (ms === undefined) return 'unknown';
  if (ms >= localDayStart(now)) return 'today';
  if (ms >= localDayStart(now, 1)) return 'yesterday';
  if (ms >= localDayStart(now, 6)) return 'week';
  return 'older';
}

/**
 * When a session started, in words that change only at midnight ("today 14:05", "yesterday 09:30",
 * "Mon 14:05", "Nov 24"), so a group's label does not go stale while the view is open.
 */
export function dayTimeText(ms: number, now: number, t: Translate = english): string {
  const clock = hhmm(new Date(ms));
  const bucket = dateBucketOf(ms, now);
  if (bucket === 'today') return t('today {0}', clock);
  if (bucket === 'yesterday') return t('yesterday {0}', clock);
  return relativeTime(ms, now, t);
}

/** A session id as the label shows it: its first eight characters (a UUID's first block). */
export function shortSessionId(id: string): string {
  return id.length > 8 ? id.slice(0, 8) : id;
}

export interface ArrangeOptions {
  now: number;
  t?: Translate;
}

/**
 * The groups of the view for these (already filtered) jobs, each sorted; empty groups left out.
 * `none` is one group with the key '' (the tree shows its jobs with no group row).
 */
export function groupJobs(
  jobs: readonly Job[],
  f: Pick<JobFilter, 'groupBy' | 'sortBy'>,
  o: ArrangeOptions,
): JobBucket[] {
  const t = o.t ?? english;
  const buckets: JobBucket[] = [];
  const add = (key: string, label: string, icon: string, list: readonly Job[]) => {
    if (list.length > 0) buckets.push({ key, label, icon, jobs: sortJobs(list, f.sortBy) });
  };
  switch (f.groupBy) {
    case 'none':
      add('', '', '', jobs);
      break;
    case 'status':
      for (const g of STATUS_GROUPS)
        add(
          g,
          statusGroupLabel(g, t),
          STATUS_BUCKETS[g].icon,
          jobs.filter((j) => groupOf(j) === g),
        );
      break;
    case 'date':
      for (const b of Object.keys(DATE_BUCKETS) as DateBucket[])
        add(
          `date:${b}`,
          t(DATE_BUCKETS[b]),
          'calendar',
          jobs.filter((j) => dateBucketOf(startedMs(j), o.now) === b),
        );
      break;
    case 'session': {
      const sessions = new Map<string, { start: number | undefined; jobs: Job[] }>();
      const none: Job[] = [];
      for (const j of jobs) {
        const s = j.display.sessionId;
        if (!s) {
          none.push(j);
          continue;
        }
        const entry = sessions.get(s) ?? { start: undefined, jobs: [] };
        const ms = startedMs(j);
        if (ms !== undefined && (entry.start === undefined || ms < entry.start)) entry.start = ms;
        entry.jobs.push(j);
        sessions.set(s, entry);
      }
      // Newest session first (by when its first job started); a session with no time after those with one.
      const order = [...sessions].sort(([, a], [, b]) => byTime(a.start, b.start));
      for (const [id, s] of order)
        add(
          `session:id:${id}`,
          s.start === undefined
            ? t('Session {0}', shortSessionId(id))
            : t('Session {0} · started {1}', shortSessionId(id), dayTimeText(s.start, o.now, t)),
          'comment-discussion',
          s.jobs,
        );
      add('session:none', t('No session'), 'circle-outline', none);
      break;
    }
  }
  return buckets;
}

/**
 * What decides where a job sits in the view under any grouping and order (its status group, status,
 * session, start time, and its label when sorted by name). A job whose place is unchanged can have
 * its row updated alone; otherwise the view is rendered again.
 */
export function placeOf(job: Job, f: Pick<JobFilter, 'sortBy'>): string {
  return [
    groupOf(job),
    job.status,
    job.display.sessionId ?? '',
    startedMs(job) ?? '',
    job.display.createdAt ?? '',
    f.sortBy === 'name' ? labelOf(job) : '',
  ].join('\u0000');
}
