// The job timeline as a pure function: the model's jobs (with the archive's history of each) and the
// broker scan, at a moment `now`, become bars, markers and broker lanes (timelineTypes.ts). The
// companion's clocks are not trusted: a job with no time, one that ended before it was created or
// one dated in the future is still drawn, clamped, and its tooltip says what was odd.
import type { BrokerEntry } from '../brokers/brokers';
import { hasResult, isVerifiedLive } from '../vocab/classify';
import { parseIsoTime, plausibleMs } from '../vocab/dates';
import { english, errorLineOf, formatDuration, kindLabelOf, localTime, summaryOf, titleOf } from '../vocab/format';
import type { Translate } from '../vocab/format';
import { jobKey } from '../vocab/keys';
import { flagText, STATUS } from '../vocab/status';
import { safeLine } from '../vocab/terminalText';
import type { LogPhases } from './logPhases';
import type { DerivedStatus, Job, JobHistoryEvent } from '../vocab/types';
import type {
  BrokerTone,
  MarkerKind,
  SkewNote,
  TimelineBar,
  TimelineBroker,
  TimelineLayout,
  TimelineMarker,
  TimelinePhase,
  TimelineWindow,
  Tone,
} from './timelineTypes';

export interface TimelineInput {
  jobs: readonly Job[];
  /** The latest broker scan's entries, and when it was made. */
  brokers?: { entries: readonly BrokerEntry[]; scannedAtMs: number };
  nowMs: number;
  scope?: string;
  t?: Translate;
  /** What each job's log tells of its phases, by job key (logPhaseRead.ts); jobs without one get none. */
  logPhases?: ReadonlyMap<string, LogPhases>;
}

/** A clock a little ahead of ours is not "the future": the companion and we read different clocks. */
const AHEAD_SLACK_MS = 60_000;
/** The first window shows the newest jobs, this many at most, started this close to the newest one. */
const FIRST_SHOWN = 25;
const FIRST_SPAN_MS = 3 * 3_600_000;

/** What the first window shows: a month of history would make each bar a sliver (Fit shows it). */
function firstShown(bars: readonly TimelineBar[]): TimelineBar[] {
  const newest = bars[0]?.startMs ?? 0;
  return bars.slice(0, FIRST_SHOWN).filter((b, i) => i === 0 || newest - b.startMs <= FIRST_SPAN_MS);
}
/** The narrowest window shown first: a single short job still gets an axis of a minute. */
const MIN_SPAN_MS = 60_000;

const TONES: Record<DerivedStatus, Tone> = {
  running: 'running',
  queued: 'queued',
  stalled: 'warn',
  stale: 'warn',
  unverified: 'warn',
  unknown: 'warn',
  'pid-reused': 'fail',
  completed: 'ok',
  failed: 'fail',
  cancelled: 'muted',
};

const SKEW_TEXT: Record<SkewNote, string> = {
  'no-time': 'No time is recorded for this job: drawn where it was last seen.',
  'no-end': 'Its end is not recorded: drawn to when it was last seen.',
  'ended-before-created': 'Its recorded end is before its creation (a clock moved): drawn as a moment.',
  'started-before-created': 'It is recorded as started before it was created (a clock moved).',
  future: "Some of its times are ahead of this computer's clock: drawn up to now.",
};

export function layoutTimeline(input: TimelineInput): TimelineLayout {
  const t = input.t ?? english;
  const now = input.nowMs;
  const bars = input.jobs.map((j) => jobBar(j, now, t, input.logPhases?.get(jobKey(j))));
  bars.sort((a, b) => b.startMs - a.startMs || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  bars.forEach((b, i) => (b.lane = i));
  const brokers = (input.brokers?.entries ?? []).map((e) => brokerLane(e, input.brokers!.scannedAtMs, now));
  brokers.sort((a, b) => b.startMs - a.startMs || (a.key < b.key ? -1 : 1));
  brokers.forEach((b, i) => (b.lane = i));
  return {
    nowMs: now,
    window: fitWindow(firstShown(bars), [], now),
    extent: fitWindow(bars, brokers, now),
    bars,
    brokers,
    scope: input.scope ?? '',
  };
}

/** Every bar and marker, and now, with a margin either side. */
export function fitWindow(
  bars: readonly TimelineBar[],
  brokers: readonly TimelineBroker[],
  now: number,
): TimelineWindow {
  let lo = now;
  let hi = now;
  const spans: readonly (readonly { startMs: number; endMs: number; markers: readonly { atMs: number }[] }[])[] = [
    bars,
    brokers,
  ];
  for (const list of spans)
    for (const b of list) {
      if (b.startMs < lo) lo = b.startMs;
      if (b.endMs > hi) hi = b.endMs;
      for (const m of b.markers) if (m.atMs < lo) lo = m.atMs;
    }
  const span = Math.max(hi - lo, MIN_SPAN_MS);
  const mid = hi - lo < MIN_SPAN_MS ? (lo + hi) / 2 : undefined;
  if (mid !== undefined) return { startMs: mid - span * 0.6, endMs: mid + span * 0.6 };
  return { startMs: lo - span * 0.03, endMs: hi + span * 0.05 };
}

interface Times {
  startMs: number;
  endMs: number;
  started?: number;
  skew: SkewNote[];
}

/** When the job was last seen doing anything: its latest recorded time or history event. */
function lastSeenMs(job: Job, now: number): number | undefined {
  const d = job.display;
  const seen = [parseIsoTime(d.updatedAt, now), job.archived?.atMs, ...(job.history ?? []).map((h) => h.atMs)];
  const ok = seen.map((ms) => plausibleMs(ms, 'record', now)).filter((ms): ms is number => ms !== undefined);
  return ok.length ? Math.max(...ok) : undefined;
}

/** The bar's span from the job's fields, with what was odd about them. */
export function jobTimes(job: Job, now: number): Times {
  const d = job.display;
  const skew: SkewNote[] = [];
  const created = parseIsoTime(d.createdAt, now);
  let started = parseIsoTime(d.startedAt, now);
  const ended = parseIsoTime(d.completedAt, now) ?? parseIsoTime(d.cancelledAt, now);
  const firstEvent = job.history?.find((h) => h.what === 'created')?.atMs;
  const known = [plausibleMs(job.earliestKnownMs, 'record', now), created].filter((x) => x !== undefined);
  const seen = lastSeenMs(job, now);
  let start =
    (known.length ? Math.min(...known) : undefined) ??
    started ??
    plausibleMs(firstEvent, 'record', now) ??
    plausibleMs(job.recordMtimeMs, 'record', now);
  const live = STATUS[job.status].live;
  let end = ended ?? (live ? now : undefined);
  if (start === undefined) {
    skew.push('no-time');
    start = end ?? seen ?? now;
  }
  if (end === undefined) {
    end = seen !== undefined && seen >= start ? seen : start;
    if (!skew.includes('no-time')) skew.push('no-end');
  }
  if (started !== undefined && started < start) {
    skew.push('started-before-created');
    started = undefined;
  }
  if (end < start) {
    skew.push('ended-before-created');
    end = start;
  }
  if (start > now + AHEAD_SLACK_MS || end > now + AHEAD_SLACK_MS) skew.push('future');
  start = Math.min(start, now);
  end = Math.min(end, now);
  if (started !== undefined) started = Math.min(Math.max(started, start), end);
  return { startMs: start, endMs: end, started, skew };
}

function phasesOf(job: Job, tm: Times, log: LogPhases | undefined): TimelinePhase[] {
  const base: TimelinePhase[] =
    tm.started !== undefined && tm.started > tm.startMs
      ? [
          { kind: 'queued', startMs: tm.startMs, endMs: tm.started },
          { kind: 'running', startMs: tm.started, endMs: tm.endMs },
        ]
      : [{ kind: job.status === 'queued' ? 'queued' : 'running', startMs: tm.startMs, endMs: tm.endMs }];
  return log ? [...base, ...logSegments(log, tm)] : base;
}

/**
 * The log's phases as segments that tile the bar from the first stamped line to its end: starting
 * the thread, each turn up to the next (or the final block), the final block. Times are clamped into
 * the bar (the log's clock and the record's may disagree). Errors come first, as slivers: the last
 * segment is the one a live bar grows (the page extends the last phase to now).
 */
function logSegments(log: LogPhases, tm: Times): TimelinePhase[] {
  const at = (ms: number) => Math.min(Math.max(ms, tm.startMs), tm.endMs);
  const out: TimelinePhase[] = log.errorsMs.map((ms) => ({ kind: 'error', startMs: at(ms), endMs: at(ms) }));
  const first = log.turns[0]?.startMs ?? log.finalMs;
  if (log.startedMs !== undefined && first !== undefined && first > log.startedMs)
    out.push({ kind: 'starting', startMs: at(log.startedMs), endMs: at(first) });
  log.turns.forEach((turn, i) => {
    const next = log.turns[i + 1]?.startMs ?? log.finalMs ?? tm.endMs;
    out.push({ kind: 'turn', startMs: at(turn.startMs), endMs: at(Math.max(next, turn.startMs)), n: i + 1 });
  });
  if (log.finalMs !== undefined) out.push({ kind: 'final', startMs: at(log.finalMs), endMs: tm.endMs });
  return out;
}

/** The hover's line on what the log told, when it told anything. */
export function logPhaseLine(log: LogPhases | undefined, t: Translate = english): string | undefined {
  if (!log || (!log.turns.length && log.finalMs === undefined)) return undefined;
  const n = log.turns.length;
  const turns = n === 1 ? t('1 turn') : t('{0} turns', log.partial ? `${n}+` : String(n));
  const errors = log.errorsMs.length ? `, ${t('{0} errors', String(log.errorsMs.length))}` : '';
  return `${t('Log')}: ${turns}${errors}${log.finalMs !== undefined ? `, ${t('final block written')}` : ''}`;
}

const MARKED_FAILED = /marked failed by Codex Jobs/;

function historyMarker(h: JobHistoryEvent, t: Translate): { kind: MarkerKind; text: string } | undefined {
  const status = h.status ? safeLine(h.status) : undefined;
  const files = h.files ? ` (${safeLine(h.files)})` : '';
  switch (h.what) {
    case 'created':
      return { kind: 'created', text: t('created') };
    case 'status':
      return { kind: 'status', text: t('status: {0}', status ?? '?') };
    case 'deleted':
      if (h.by === 'deleted-while-running')
        return { kind: 'deleted-while-running', text: t('files deleted while it ran{0}', files) };
      if (h.by === 'pruned') return { kind: 'pruned', text: t('pruned by the companion{0}', files) };
      return { kind: 'deleted', text: t('files deleted by a concurrent writer{0}', files) };
    case 'recreated':
      return { kind: 'recreated', text: t('its files were written again') };
    case 'log-recreated':
      return { kind: 'log-recreated', text: t('its log was deleted and written again') };
    case 'restored':
      return { kind: 'restored', text: t('restored by Codex Jobs') };
    default:
      return undefined;
  }
}

/** The job's history as markers, plus what its record and flags tell: marked failed, dropped from the index. */
export function markersOf(job: Job, tm: Times, now: number, t: Translate = english): TimelineMarker[] {
  const out: TimelineMarker[] = [];
  for (const h of job.history ?? []) {
    const at = plausibleMs(h.atMs, 'record', now);
    const m = historyMarker(h, t);
    if (m && at !== undefined) out.push({ ...m, atMs: Math.min(at, now) });
  }
  if (MARKED_FAILED.test(job.display.errorMessage ?? ''))
    out.push({ kind: 'marked-failed', atMs: tm.endMs, text: t('marked failed by Codex Jobs (its process was gone)') });
  // When the index lost it is not recorded anywhere: shown where the job was last seen.
  if (job.flags.includes('unindexed'))
    out.push({
      kind: 'index-drop',
      atMs: tm.endMs,
      approx: true,
      text: t('dropped from state.json (when is not known)'),
    });
  return out.sort((a, b) => a.atMs - b.atMs);
}

function jobBar(job: Job, now: number, t: Translate, log: LogPhases | undefined): TimelineBar {
  const tm = jobTimes(job, now);
  const info = STATUS[job.status];
  const live = info.live && !tm.skew.includes('future');
  const hasEnd = live || !tm.skew.some((s) => s === 'no-end' || s === 'no-time');
  const markers = markersOf(job, tm, now, t);
  return {
    key: jobKey(job),
    id: job.id,
    lane: 0,
    label: safeLine(`${kindLabelOf(job)}: ${summaryOf(job)}`),
    status: job.status,
    word: t(info.word),
    tone: TONES[job.status],
    startMs: tm.startMs,
    endMs: tm.endMs,
    live,
    elapsed: hasEnd ? formatDuration(tm.endMs - tm.startMs) : '',
    markers,
    phases: phasesOf(job, tm, log),
    skew: tm.skew,
    title: barTitle(job, tm, markers, t, logPhaseLine(log, t)),
    canCancel: isVerifiedLive(job),
    hasLog: job.log.exists || (job.archived?.logBytes ?? 0) > 0,
    hasResult: hasResult(job),
  };
}

/** The hover's text where the editor's tooltip is not at hand (the HTML export): plain lines. */
function barTitle(job: Job, tm: Times, markers: TimelineMarker[], t: Translate, log?: string): string {
  const d = job.display;
  const lines = [
    safeLine(summaryOf(job)),
    safeLine(`${titleOf(job)} (${kindLabelOf(job)}) · ${job.id}`),
    t(STATUS[job.status].text),
  ];
  const times: [string, string | undefined][] = [
    [t('Created'), d.createdAt],
    [t('Started'), d.startedAt],
    [t('Completed'), d.completedAt],
    [t('Cancelled'), d.cancelledAt],
  ];
  for (const [k, v] of times) if (v) lines.push(`${k}: ${safeLine(v)}`);
  lines.push(`${STATUS[job.status].live ? t('Running for') : t('Ran for')}: ${formatDuration(tm.endMs - tm.startMs)}`);
  if (log) lines.push(log);
  const err = errorLineOf(job);
  if (err) lines.push(`${t('Error')}: ${safeLine(err)}`);
  for (const f of job.flags) lines.push(`⚠ ${t(flagText(f))}`);
  for (const s of tm.skew) lines.push(`⚠ ${t(SKEW_TEXT[s])}`);
  for (const m of markers) lines.push(`${m.approx ? '≈' : localTime(m.atMs)} ${m.text}`);
  return lines.join('\n');
}

const BROKER_TONES: Partial<Record<BrokerEntry['class'], BrokerTone>> = {
  'in-use': 'in-use',
  'orphan-live': 'orphan',
  dead: 'dead',
};

function brokerLane(e: BrokerEntry, scannedAtMs: number, now: number): TimelineBroker {
  const age = typeof e.ageMs === 'number' && Number.isFinite(e.ageMs) && e.ageMs >= 0 ? e.ageMs : 0;
  const startMs = Math.min(scannedAtMs - age, now);
  const live = !!e.process && e.class !== 'dead';
  const endMs = live ? now : startMs;
  const name = e.pid ? `broker pid ${e.pid}` : 'broker';
  const markers: TimelineBroker['markers'] = [{ kind: 'started', atMs: startMs, text: 'started' }];
  if (e.class === 'orphan-live')
    markers.push({
      kind: 'orphaned',
      atMs: Math.min(scannedAtMs, now),
      approx: true,
      text: 'orphaned: no session uses it',
    });
  if (e.class === 'dead')
    markers.push({ kind: 'dead', atMs: startMs, approx: true, text: 'its process is gone; its session dir is left' });
  return {
    key: e.key,
    lane: 0,
    label: safeLine(e.dir ? `${name} · ${e.dir.split(/[\\/]/).pop()}` : name),
    tone: BROKER_TONES[e.class] ?? 'other',
    startMs,
    endMs,
    live,
    markers,
    title: [safeLine(name), safeLine(e.class), safeLine(e.reason), e.dir ? safeLine(e.dir) : '']
      .filter(Boolean)
      .join('\n'),
  };
}
