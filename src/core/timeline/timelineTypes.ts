// What the job timeline draws, as plain values: the layout (layout.ts) makes them from the model's
// jobs and the broker scan; the renderer (src/webview/timeline) draws them in the editor's panel and
// in the command line's HTML export. Everything here crosses into a web page as JSON: strings are
// data there, set with textContent, never parsed as markup.
import type { DerivedStatus } from '../vocab/status';

/** How a bar is coloured: a few tones, each mapped to a theme colour by the renderer. */
export type Tone = 'running' | 'queued' | 'ok' | 'fail' | 'warn' | 'muted';

/** What happened at one moment of a job's life (from its history, its record or its flags). */
export type MarkerKind =
  | 'created'
  | 'status'
  | 'deleted-while-running'
  | 'deleted'
  | 'pruned'
  | 'recreated'
  | 'log-recreated'
  | 'restored'
  | 'marked-failed'
  | 'index-drop';

export interface TimelineMarker {
  kind: MarkerKind;
  atMs: number;
  /** One line for the marker's tooltip. */
  text: string;
  /** The moment is not known; it is drawn where the job was last seen. */
  approx?: boolean;
}

/**
 * A stretch of a bar: waiting to start, then running; where the job's log tells, drawn over the
 * running part: starting the thread, each turn, the final block, and a sliver at each error.
 */
export interface TimelinePhase {
  kind: 'queued' | 'running' | 'starting' | 'turn' | 'final' | 'error';
  startMs: number;
  endMs: number;
  /** Turns are numbered from 1 (the page alternates their shade). */
  n?: number;
}

/** Something odd about a job's times, said on its tooltip; the bar is drawn anyway. */
export type SkewNote = 'no-time' | 'no-end' | 'ended-before-created' | 'started-before-created' | 'future';

export interface TimelineBar {
  /** The job's key (state dir and id): what a click or a context menu sends back. */
  key: string;
  id: string;
  /** Row from the top: 0 is the newest job. */
  lane: number;
  label: string;
  status: DerivedStatus;
  /** The status in one or two words. */
  word: string;
  tone: Tone;
  startMs: number;
  endMs: number;
  /** A process may still be working: the bar's end is now and grows with it. */
  live: boolean;
  elapsed: string;
  markers: TimelineMarker[];
  phases: TimelinePhase[];
  skew: SkewNote[];
  /** Plain text lines for the hover. */
  title: string;
  /** What the context menu may offer. */
  canCancel: boolean;
  hasLog: boolean;
  hasResult: boolean;
}

export type BrokerTone = 'in-use' | 'orphan' | 'dead' | 'other';

/** One app-server broker, as a thin lane below the jobs. */
export interface TimelineBroker {
  key: string;
  lane: number;
  label: string;
  tone: BrokerTone;
  startMs: number;
  endMs: number;
  live: boolean;
  markers: { kind: 'started' | 'orphaned' | 'dead'; atMs: number; text: string; approx?: boolean }[];
  title: string;
}

export interface TimelineWindow {
  startMs: number;
  endMs: number;
}

export interface TimelineLayout {
  nowMs: number;
  /** What is shown first: the newest jobs and now, with a margin. */
  window: TimelineWindow;
  /** Every bar, broker and marker: what Fit shows. */
  extent: TimelineWindow;
  bars: TimelineBar[];
  brokers: TimelineBroker[];
  /** What the picture is of, for its heading ("my-project", "All Workspaces"). */
  scope: string;
}
