// `codex-jobs watch`: a live view. On a terminal it is redrawn in place (and ticks, so durations
// move); into a pipe or file a plain snapshot is printed only when something shown has changed.
import { LiveUpdates } from '../../core/live';
import type { Job, ReadWarning } from '../../core/types';
import type { Args } from '../args';
import { cliArchive, modelFor, workspaceFolder } from '../jobs';
import { CLEAR_SCREEN, type Output } from '../output';
import { untilStopped } from '../signals';
import { jobsView } from '../table';
import { safeLine } from '../../core/terminalText';

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
  const draw = () => {
    timer = undefined;
    const f = m.folders[0];
    const jobs = f?.jobs ?? [];
    const warnings = f?.warnings ?? [];
    const now = Date.now();
    const when = new Date(now).toLocaleTimeString();
    if (io.isTTY) {
      const body = jobsView(jobs, warnings, { now, width: io.width, paint: io.paint.bind(io) });
      void io.write(`${CLEAR_SCREEN}${io.paint(`${shownFolder}  (${when}; Ctrl-C to quit)`, 'dim')}\n\n${body}\n`);
      return;
    }
    const key = changeKey(jobs, warnings);
    if (key === lastKey) return;
    lastKey = key;
    void io.write(`== ${shownFolder} at ${when}\n${jobsView(jobs, warnings, { now })}\n\n`);
  };
  const sub = m.onDidChange(() => (timer ??= setTimeout(draw, DEBOUNCE_MS)));
  await live.start();
  draw();
  const tick = io.isTTY ? setInterval(draw, TICK_MS) : undefined;
  if (io.isTTY) process.stdout.on('resize', draw);
  await untilStopped(io);
  process.stdout.off('resize', draw);
  if (tick) clearInterval(tick);
  if (timer) clearTimeout(timer);
  sub.dispose();
  await live.dispose();
  m.dispose();
  return 0;
}
