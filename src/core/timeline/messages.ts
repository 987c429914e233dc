// What the timeline's web page and the editor say to each other. A message from the page is
// untrusted input (a page runs whatever a bug or an injected string made it run): it is checked
// field by field here, and anything else is dropped.
import type { TimelineLayout } from './timelineTypes';

/** The commands a bar's context menu offers: the same as the Jobs tree's. */
export const BAR_COMMANDS = ['openLog', 'showResult', 'cancelJob'] as const;
export type BarCommand = (typeof BAR_COMMANDS)[number];

export type TimelineScope = 'workspace' | 'all';

export type PageMessage =
  | { type: 'ready' }
  | { type: 'select'; key: string }
  | { type: 'hover'; key: string }
  | { type: 'command'; command: BarCommand; key: string }
  | { type: 'scope'; scope: TimelineScope }
  /** The first picture is drawn: how many bars, and how long after the page began (ms). */
  | { type: 'painted'; bars: number; ms: number };

export type HostMessage =
  { type: 'layout'; layout: TimelineLayout; scope: TimelineScope } | { type: 'tooltip'; key: string; text: string };

/** A job key is a state dir and an id: long, but not without bound. */
const MAX_KEY = 8192;

const isKey = (k: unknown): k is string => typeof k === 'string' && k.length > 0 && k.length <= MAX_KEY;

const isCount = (n: unknown): n is number => typeof n === 'number' && Number.isFinite(n) && n >= 0 && n < 1e9;

/** The page's message when it is one of ours, well formed; undefined for anything else. */
export function parsePageMessage(m: unknown): PageMessage | undefined {
  if (typeof m !== 'object' || m === null || Array.isArray(m)) return undefined;
  const o = m as Record<string, unknown>;
  switch (o.type) {
    case 'ready':
      return { type: 'ready' };
    case 'select':
    case 'hover':
      return isKey(o.key) ? { type: o.type, key: o.key } : undefined;
    case 'command':
      return isKey(o.key) && BAR_COMMANDS.includes(o.command as BarCommand)
        ? { type: 'command', command: o.command as BarCommand, key: o.key }
        : undefined;
    case 'scope':
      return o.scope === 'workspace' || o.scope === 'all' ? { type: 'scope', scope: o.scope } : undefined;
    case 'painted':
      return isCount(o.bars) && isCount(o.ms) ? { type: 'painted', bars: o.bars, ms: o.ms } : undefined;
    default:
      return undefined;
  }
}
