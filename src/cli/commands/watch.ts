// `codex-jobs watch`: a live view. On a terminal it fits the screen as `top` does (the jobs that need
// attention and the running ones first, then the most recent, "… N more") and is redrawn in place,
// never scrolled (and ticks, so durations move); into a pipe or file a plain snapshot of every job
// is printed only when something shown has changed.
import { LiveUpdates } from '../../core/model/live';
import type { Job, ReadWarning } from '../../core/vocab/types';
import type { Args } from '../args';
import { cliArchive, modelFor, workspaceFolder } from '../jobs';
import { CLEAR_BELOW, CLEAR_LINE_END, CLEAR_SCREEN, CURSOR_HOME, type Output } from '../output';
import { untilStopped } from '../signals';
import { jobsScreen, jobsView } from '../table';
import { ellipsize, safeLine } from '../../core/vocab/terminalText';
import { formatLocal } from '../../core/vocab/dates';

const DEBOUNCE_MS = 100;
const TICK_MS = 1000;

/** What a snapshot shows, minus the clock: a new snapshot is printed only when this changes. */
function changeKey(jobs: Job[], warnings: ReadWarning[]): string {
  return JSON.stringify([
    jobs.map((j) => [
      j.id,
      j.status,
      j.flags,
      j.display.phase,
      j.display.updatedAt,
      j.display.completedAt,
      j.archived?.how,
    ]),
    warnings.map((w) => [w.file, w.message]),
  ]);
}

export async function watchCommand(a: Args, io: Output): Promise<number> {
  const folder = await workspaceFolder(a, a.positional[0]);
  const shownFolder = safeLine(folder);
  const m = modelFor(a, folder);
  const live = new LiveUpdates(m, { archive: cliArchive(true) });
  let timer: NodeJS.Timeout | undefined;
  let lastKey: string | undefined;
  let drawn = false;
  const draw = () => {
    timer = undefined;
    const f = m.folders[0];
    const jobs = f?.jobs ?? [];
    const warnings = f?.warnings ?? [];
    const now = Date.now();
    const when = formatLocal(now, now, { seconds: true });
    if (io.isTTY) {
      // One column short of the width: a line never ends in the terminal's pending wrap, where a
      // clear to the end of the line would erase its last character.
      const width = Math.max(1, (io.width ?? 80) - 1);
      const rows = io.height ?? 24;
      const head = io.paint(ellipsize(`${shownFolder}  (${when}; Ctrl-C to quit)`, width), 'dim');
      const body = jobsScreen(jobs, warnings, { now, width, paint: io.paint.bind(io), rows: rows - 2 });
      // Home, each line cleared past its end, everything below cleared; no newline after the last
      // line, so a full screen never scrolls.
      const frame = [head, '', ...body].slice(0, rows).map((l) => `${l}${CLEAR_LINE_END}`);
      void io.write(`${drawn ? CURSOR_HOME : CLEAR_SCREEN}${frame.join('\n')}${CLEAR_BELOW}`);
      drawn = true;
      return;
    }
    const key = changeKey(jobs, warnings);
    if (key === lastKey) return;
    lastKey = key;
    void io.write(`== ${shownFolder} at ${when}\n${jobsView(jobs, warnings, { now })}\n\n`);
  };
  // Listen for Ctrl-C before anything can be printed (as log --follow and wait do): a change during
  // the start draws a snapshot, and a Ctrl-C right after it must end the command cleanly (exit 0, not 130).
  const stopped = untilStopped(io);
  const sub = m.onDidChange(() => (timer ??= setTimeout(draw, DEBOUNCE_MS)));
  await live.start();
  draw();
  const tick = io.isTTY ? setInterval(draw, TICK_MS) : undefined;
  // A resize may have wrapped the old view: the next one starts from a cleared screen.
  const onResize = () => {
    drawn = false;
    draw();
  };
  if (io.isTTY) process.stdout.on('resize', onResize);
  await stopped;
  // Leave the prompt below the last view, not on top of it.
  if (io.isTTY && drawn) await io.write('\n');
  process.stdout.off('resize', onResize);
  if (tick) clearInterval(tick);
  if (timer) clearTimeout(timer);
  sub.dispose();
  await live.dispose();
  m.dispose();
  return 0;
}
