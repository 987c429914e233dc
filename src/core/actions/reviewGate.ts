// The companion's stop-time review gate (`state.json` → `config.stopReviewGate`): what each state
// dir says, when two state dirs of one folder disagree, when a write turned it off, and turning it
// on or off through the companion's own `setup` under the launch lock.
import * as path from 'path';
import { withWorkspaceLock, type LockOptions } from './lock';
import { readStateFile, rootOfStateDir } from '../io/reader';
import { commandStateDir, runCompanionCommand, type CompanionCommand } from './companionCommand';
import { preflightStateDir, stateUntouched } from '../io/preflight';
import type { StateDirSnapshot } from '../vocab/types';
import { formatLocal } from '../vocab/dates';
import { sleep } from '../vocab/async';

/** on/off as state.json says; `default` when it says nothing (the companion's default is off). */
export type GateValue = 'on' | 'off' | 'default';

export interface DirGate {
  stateDir: string;
  root: string;
  value: GateValue;
  /** When a read saw it go from on to off, with the last time it had been seen on before. */
  turnedOff?: { afterMs?: number; atMs: number };
}

export interface FolderGate {
  dirs: DirGate[];
  /** Two state dirs of this folder say different things. */
  disagree: boolean;
  /** One line: "on", "off", "on in plugin data, off in tmp". */
  summary: string;
  warnings: string[];
}

export function gateValue(config: Record<string, unknown> | undefined): GateValue {
  const v = config?.stopReviewGate;
  return v === true ? 'on' : v === false ? 'off' : 'default';
}

const isOn = (v: GateValue) => v === 'on';

/** What is remembered of one state dir's gate: its value, when last seen so, and when a write turned it off. */
export interface SeenGate {
  value: GateValue;
  seenAtMs: number;
  /** When a read saw it go from on to off (not by us). */
  offAtMs?: number;
  /** Then: the last time it had been seen on. */
  onUntilMs?: number;
}

/** Where a GateHistory keeps what it saw between sessions (the extension: its global state). */
export interface GateMemory {
  get(): unknown;
  set(value: Record<string, SeenGate>): void;
}

/** A remembered observation is written again at most this often while the gate stays as it was. */
const REMEMBER_EVERY_MS = 60_000;
const FORGET_AFTER_MS = 90 * 24 * 3600_000;

/**
 * Remembers each state dir's gate between reads, so a change made by some write (a concurrent
 * writer's lost update writes the default config back) is seen and dated; with a memory, also
 * across sessions: a gate turned off while the editor was closed is seen at the first read after.
 */
export class GateHistory {
  private readonly last = new Map<string, SeenGate>();
  /** Changes we made ourselves, so they are not reported as surprises. */
  private readonly expected = new Map<string, { value: GateValue; untilMs: number }>();
  private rememberedAtMs = 0;
  /** State dirs observed in this session: a change to one of those is dated by the read that saw it. */
  private readonly observed = new Set<string>();

  constructor(
    private readonly memory?: GateMemory,
    now = Date.now(),
  ) {
    const kept = memory?.get();
    if (!kept || typeof kept !== 'object') return;
    for (const [dir, seen] of Object.entries(kept)) {
      const v = validSeen(seen);
      // A state dir not observed for months is forgotten, so the memory does not grow for ever.
      if (v && now - v.seenAtMs < FORGET_AFTER_MS) this.last.set(dir, v);
    }
  }

  /** Records what a read saw; returns the change, when there was one. */
  observe(
    stateDir: string,
    value: GateValue,
    atMs: number,
  ): { from: GateValue; to: GateValue; ours: boolean; sinceMs: number } | undefined {
    const prev = this.last.get(stateDir);
    const exp = this.expected.get(stateDir);
    const ours = !!exp && exp.value === value && atMs <= exp.untilMs;
    // Watched since its last read, a change is seen as it happens; at a session's first read, it
    // happened some time since the read an earlier session remembered.
    const since = this.observed.has(stateDir) || !prev ? atMs : prev.seenAtMs;
    this.observed.add(stateDir);
    if (!prev || prev.value === value) {
      this.last.set(stateDir, { ...prev, value, seenAtMs: Math.max(atMs, prev?.seenAtMs ?? 0) });
      this.remember(!prev || atMs - this.rememberedAtMs >= REMEMBER_EVERY_MS, atMs);
      return undefined;
    }
    const turnedOff = isOn(prev.value) && !isOn(value) && !ours;
    const next: SeenGate = turnedOff
      ? { value, seenAtMs: atMs, offAtMs: atMs, onUntilMs: since }
      : isOn(value)
        ? { value, seenAtMs: atMs }
        : { ...prev, value, seenAtMs: atMs };
    this.last.set(stateDir, next);
    this.remember(true, atMs);
    return { from: prev.value, to: value, ours, sinceMs: since };
  }

  /** The session ends: what it observed was as last seen until now (it was watched). */
  close(now = Date.now()): void {
    for (const dir of this.observed) {
      const s = this.last.get(dir);
      if (s) this.last.set(dir, { ...s, seenAtMs: Math.max(s.seenAtMs, now) });
    }
    this.remember(this.observed.size > 0, now);
  }

  /** Marks a value we are about to write, for `forMs`. */
  expect(stateDir: string, value: GateValue, forMs = 30_000, now = Date.now()): void {
    this.expected.set(stateDir, { value, untilMs: now + forMs });
  }

  turnedOffAt(stateDir: string): number | undefined {
    return this.turnedOff(stateDir)?.atMs;
  }

  /** When it was turned off: the last time it had been seen on, and the read that saw it off. */
  turnedOff(stateDir: string): { afterMs?: number; atMs: number } | undefined {
    const s = this.last.get(stateDir);
    return s?.offAtMs === undefined ? undefined : { afterMs: s.onUntilMs, atMs: s.offAtMs };
  }

  private remember(now: boolean, atMs: number): void {
    if (!this.memory || !now) return;
    this.rememberedAtMs = atMs;
    this.memory.set(Object.fromEntries(this.last));
  }
}

/** A remembered observation, as stored by an earlier session (anything else is dropped). */
function validSeen(v: unknown): SeenGate | undefined {
  if (!v || typeof v !== 'object') return undefined;
  const o = v as Record<string, unknown>;
  const time = (x: unknown) => (typeof x === 'number' && Number.isFinite(x) && x > 0 ? x : undefined);
  if ((o.value !== 'on' && o.value !== 'off' && o.value !== 'default') || time(o.seenAtMs) === undefined)
    return undefined;
  const offAtMs = time(o.offAtMs);
  return {
    value: o.value,
    seenAtMs: time(o.seenAtMs)!,
    ...(offAtMs !== undefined ? { offAtMs, onUntilMs: time(o.onUntilMs) } : {}),
  };
}

/** A read this long after the last one dates a change only to the time between them. */
const UNDATED_AFTER_MS = 2 * 60_000;

/** "at 14:02", or "some time between 09:10 and 14:02" when the reads were far apart (the editor was closed). */
export function whenTurnedOff(t: { afterMs?: number; atMs: number }, formatTime: (ms: number) => string): string {
  return t.afterMs !== undefined && t.atMs - t.afterMs > UNDATED_AFTER_MS
    ? `some time between ${formatTime(t.afterMs)} and ${formatTime(t.atMs)}`
    : `at ${formatTime(t.atMs)}`;
}

/** The gate of every state dir of one folder, with the warnings users need. */
export function folderGate(
  snapshots: readonly StateDirSnapshot[],
  history?: GateHistory,
  formatTime: (ms: number) => string = (ms) => formatLocal(ms),
): FolderGate {
  const dirs: DirGate[] = snapshots
    .filter((s) => s.exists)
    .map((s) => ({
      stateDir: s.stateDir,
      root: s.root,
      value: gateValue(s.config),
      turnedOff: history?.turnedOff(s.stateDir),
    }));
  const values = new Set(dirs.map((d) => isOn(d.value)));
  const disagree = values.size > 1;
  const warnings: string[] = [];
  if (disagree) {
    warnings.push(
      `The stop review gate differs between state dirs: ${dirs.map((d) => `${isOn(d.value) ? 'on' : 'off'} in ${d.stateDir}`).join(', ')}. Claude Code uses the one under its CLAUDE_PLUGIN_DATA.`,
    );
  }
  for (const d of dirs) {
    if (d.turnedOff && !isOn(d.value))
      warnings.push(
        `The stop review gate of ${d.stateDir} was turned off by a write ${whenTurnedOff(d.turnedOff, formatTime)} (not by Codex Jobs; a concurrent writer's lost update writes the default config).`,
      );
  }
  const word = (v: GateValue) => (isOn(v) ? 'on' : 'off');
  const summary =
    dirs.length === 0
      ? 'no state dir'
      : disagree
        ? dirs.map((d) => `${word(d.value)} in ${rootLabel(d.stateDir)}`).join(', ')
        : word(dirs[0].value);
  return { dirs, disagree, summary, warnings };
}

/** A short name for the root a state dir is under: the plugin data dir's name, or "temp dir". */
export function rootLabel(stateDir: string): string {
  const parent = path.dirname(stateDir);
  if (path.basename(parent) === 'codex-companion') return 'temp dir';
  if (path.basename(parent) === 'state') return path.basename(path.dirname(parent));
  return parent;
}

export interface ToggleRequest extends CompanionCommand {
  enable: boolean;
  lock?: LockOptions;
  /** After `setup` exits, how long the value must stay on disk (a concurrent writer's lost update lands within its read-modify-write). */
  verifyMs?: number;
  /** How many times `setup` is run when a concurrent writer resets the value. */
  attempts?: number;
  pollMs?: number;
  history?: GateHistory;
  log?: (m: string) => void;
}

export interface ToggleResult {
  ok: boolean;
  stateDir?: string;
  /** What state.json said at the end of the verification. */
  onDisk?: GateValue;
  /** What setup's own report said (`reviewGateEnabled`). */
  reported?: boolean;
  attempts: number;
  /** How many times a write reset the value while we verified. */
  resets: number;
  lockWaitMs: number;
  message: string;
}

/** state.json's gate, read beneath the state root (no link followed); `why` when it could not be read. */
async function readGateOrWhy(stateDir: string): Promise<{ value: GateValue } | { why: string }> {
  // A torn read (0 bytes, half a file) is retried: the companion rewrites state.json in place.
  let why = 'it could not be read';
  for (let i = 0; i < 5; i++) {
    const r = await readStateFile(path.join(stateDir, 'state.json'), rootOfStateDir(stateDir));
    if (r.value) return { value: gateValue(r.value.config) };
    if (r.missing) return { value: 'default' };
    why = r.warnings[0]?.message ?? why;
    await sleep(30);
  }
  return { why };
}

async function readGate(stateDir: string): Promise<GateValue | undefined> {
  const r = await readGateOrWhy(stateDir);
  return 'value' in r ? r.value : undefined;
}

/** One toggle's settings, fixed before the lock is taken. */
interface Toggle {
  req: ToggleRequest;
  stateDir: string;
  flag: string;
  want: GateValue;
  /** "on" or "off", for messages. */
  what: string;
  log: (m: string) => void;
  verifyMs: number;
  pollMs: number;
  maxAttempts: number;
}

/** What the runs of `setup` under the lock came to so far. */
interface Tally {
  attempts: number;
  resets: number;
  reported?: boolean;
  onDisk?: GateValue;
}
/** The outcome under the lock; `message` empty when the caller words it. */
type Attempt = Tally & { ok: boolean; message: string };

const failed = (s: Tally, message: string): Attempt => ({
  ok: false,
  attempts: s.attempts,
  resets: s.resets,
  reported: s.reported,
  onDisk: s.onDisk,
  message,
});

/** The value we write holds on disk: off is also the default. */
const holds = (t: Toggle, v: GateValue) => v === t.want || (t.want === 'off' && v === 'default');

/** Runs `setup --enable-review-gate|--disable-review-gate --json` under the launch lock, then verifies state.json. */
export async function toggleReviewGate(req: ToggleRequest): Promise<ToggleResult> {
  if (!path.isAbsolute(req.companion))
    return {
      ok: false,
      attempts: 0,
      resets: 0,
      lockWaitMs: 0,
      message: `The companion path ${req.companion} is not absolute.`,
    };
  const t: Toggle = {
    req,
    stateDir: await commandStateDir(req),
    flag: req.enable ? '--enable-review-gate' : '--disable-review-gate',
    want: req.enable ? 'on' : 'off',
    what: req.enable ? 'on' : 'off',
    log: req.log ?? (() => undefined),
    verifyMs: req.verifyMs ?? 1500,
    pollMs: req.pollMs ?? 50,
    maxAttempts: Math.max(1, req.attempts ?? 3),
  };
  const { stateDir } = t;
  const locked = await withWorkspaceLock(stateDir, () => setGateLocked(t), req.lock);
  if (!locked.ok)
    return {
      ok: false,
      stateDir,
      attempts: 0,
      resets: 0,
      lockWaitMs: locked.lockWaitMs,
      message: `Not changed: ${locked.message}`,
    };
  const v = locked.value;
  let message = v.message;
  if (!message) {
    message = v.ok
      ? `The stop review gate is ${t.what} in ${stateDir} (verified on disk${v.resets ? ` after ${v.resets} reset(s) by a concurrent writer` : ''}).`
      : `The stop review gate did not stay ${t.what} in ${stateDir}: a concurrent writer reset it ${v.resets} time(s); state.json says ${v.onDisk ?? 'nothing readable'}.`;
  }
  if (v.ok && v.reported !== undefined && v.reported !== req.enable)
    message += ` (setup's own report said ${v.reported ? 'enabled' : 'disabled'}.)`;
  if (locked.compromised) message += ' Warning: the launch lock was lost while held.';
  return { ...v, stateDir, lockWaitMs: locked.lockWaitMs, message };
}

/** Under the lock: `setup` run again while a concurrent writer resets the value, up to maxAttempts times. */
async function setGateLocked(t: Toggle): Promise<Attempt> {
  let s: Tally = { attempts: 0, resets: 0 };
  while (s.attempts < t.maxAttempts) {
    s = { ...s, attempts: s.attempts + 1 };
    const r = await setGateOnce(t, s);
    if ('final' in r) return r.final;
    s = { ...r.tally, resets: r.tally.resets + 1 };
    t.log(`setup ${t.flag}: state.json says ${s.onDisk} again; a concurrent writer reset it (attempt ${s.attempts})`);
  }
  return failed(s, '');
}

/** One run of `setup` and its verification: a final result, or the tally when a concurrent writer reset the value. */
async function setGateOnce(t: Toggle, tally: Tally): Promise<{ final: Attempt } | { tally: Tally }> {
  const { req, stateDir, flag } = t;
  req.history?.expect(stateDir, t.want);
  // The preflight (links, FIFOs, oversized files refused before the start) is runCompanionCommand's.
  const out = await runCompanionCommand(req, ['setup', flag, '--json'], { stateDir });
  t.log(`setup ${flag}: ${out.message} (${out.ms} ms)`);
  if (out.refused) return { final: failed(tally, `Not changed: ${out.message}`) };
  if (!out.ok) return { final: failed(tally, `The companion's setup failed: ${out.message}`) };
  const j = out.json as { reviewGateEnabled?: unknown } | undefined;
  const reported = typeof j?.reviewGateEnabled === 'boolean' ? j.reviewGateEnabled : undefined;
  const s: Tally = { ...tally, reported };
  // What setup could have been raced into while it ran (a file swapped for a link) is checked again.
  const after = await preflightStateDir(stateDir, { allowMissingDir: true });
  if (!after.ok)
    return {
      final: failed(
        s,
        `setup finished, but ${after.message} now: it changed while setup ran, and what setup wrote is not verified.`,
      ),
    };
  if (out.before && stateUntouched(out.before, after.checked)) {
    const v = await readGateOrWhy(stateDir);
    const onDisk = 'value' in v ? v.value : undefined;
    return {
      final: failed(
        { ...s, onDisk },
        `setup exited 0 but did not write ${path.join(stateDir, 'state.json')}${onDisk ? ` (it still says ${onDisk})` : ''}${reported !== undefined ? `; its own report said ${reported ? 'enabled' : 'disabled'}` : ''}. The stop review gate was not changed.`,
      ),
    };
  }
  const w = await watchGate(t, reported);
  if ('why' in w)
    return {
      final: failed(
        { ...s, onDisk: undefined },
        `setup finished, but ${path.join(stateDir, 'state.json')} could not be read back (${w.why}): the stop review gate is not verified.`,
      ),
    };
  const { onDisk } = w;
  if (!w.reset && w.sawOurs) return { final: { ok: true, ...s, onDisk, message: '' } };
  if (!w.reset)
    return {
      final: failed(
        { ...s, onDisk },
        `setup exited 0 and state.json was written, but it says ${onDisk}, not ${t.what}${reported !== undefined ? ` (setup's own report said ${reported ? 'enabled' : 'disabled'})` : ''}.`,
      ),
    };
  return { tally: { ...s, onDisk } };
}

/**
 * Watches state.json for verifyMs: a writer that loaded it before setup wrote it saves the old config
 * back. A reset is claimed only when our value was seen: read by us, or by setup's own report.
 */
async function watchGate(
  t: Toggle,
  reported: boolean | undefined,
): Promise<{ why: string } | { onDisk: GateValue; sawOurs: boolean; reset: boolean }> {
  const until = Date.now() + t.verifyMs;
  let sawOurs = false;
  for (;;) {
    const v = await readGateOrWhy(t.stateDir);
    if (!('value' in v)) return { why: v.why };
    if (!holds(t, v.value)) return { onDisk: v.value, sawOurs, reset: sawOurs || reported === t.req.enable };
    sawOurs = true;
    if (Date.now() >= until) return { onDisk: v.value, sawOurs, reset: false };
    await sleep(t.pollMs);
  }
}

/** Each state dir's `config.stopReviewGate` as state.json says (null: unreadable or not set), for `status --json`. */
export async function readStopReviewGates(stateDirs: readonly string[]): Promise<Record<string, boolean | null>> {
  const out: Record<string, boolean | null> = {};
  for (const d of stateDirs) {
    const v = await readGate(d);
    out[d] = v === 'on' ? true : v === 'off' ? false : null;
  }
  return out;
}
