// `codex-jobs log <id>`: prints a job's log through the one merged view (core/archive/jobLog.ts: the state
// dir's file where it is whole, the archive's copy where it holds more), and with --follow what is
// appended. A log that is a link, a FIFO or anything but a regular file is refused, never followed
// or blocked on. Following waits on file events (with a slow fallback timer), never a busy loop.
// The log is printed made safe (core/vocab/terminalText.ts: escape sequences shown, not obeyed), on a
// terminal and into a pipe alike; --raw prints its bytes as they are, only when asked.
import * as path from 'path';
import { isSafeJobId, rootOfStateDir } from '../../core/io/reader';
import { assertRealDir, isSafeFsError } from '../../core/io/safeFs';
import { LogFollower, planJobLog, readParts, refusedLog } from '../../core/archive/jobLog';
import { UsageError, type Args } from '../args';
import { collect, printWarnings } from '../jobs';
import type { Output } from '../output';
import { untilStopped } from '../signals';
import { SafeBodyStream, safeLine } from '../../core/vocab/terminalText';

/** For file systems whose events do not arrive (network mounts): a check this often, not a busy loop. */
const FALLBACK_MS = 2000;

export async function logCommand(a: Args, io: Output): Promise<number> {
  const id = a.positional[0];
  if (!isSafeJobId(id)) throw new UsageError(`"${id}" is not a job id`, 'log');
  // No path: the current directory (the id is never taken for one).
  const r = await collect(a, a.positional[1]);
  const job = r.jobs.find((j) => j.id === id);
  if (!job) {
    printWarnings(r.warnings, (l) => io.error(l));
    io.error(`codex-jobs: no job ${id} in ${r.stateDirs.map(safeLine).join(', ') || 'any state dir'}`);
    return 1;
  }
  // No link on the way either: a jobs/ dir that is a link points out of the state dir.
  const dirRefused = await assertRealDir(path.dirname(job.logPath), rootOfStateDir(job.stateDir)).then(
    () => undefined,
    (err) =>
      isSafeFsError(err, 'missing') ? undefined : isSafeFsError(err) ? `${err.file}: ${err.what}` : String(err),
  );
  const refused = dirRefused ?? (await refusedLog(job.logPath));
  if (refused) {
    io.error(`codex-jobs: ${safeLine(refused)}`);
    return 1;
  }
  // Following runs until Ctrl-C: listen for it before the first byte goes out, so a Ctrl-C while the
  // log so far is printed ends the command as cleanly as one during the follow (exit 0, not 130).
  let stopped = false;
  const stop = a.follow ? untilStopped(io).then(() => void (stopped = true)) : undefined;
  const plan = await planJobLog(r.logSource(job));
  if (!plan.exists && !a.follow) {
    io.error(`codex-jobs: no log for ${id} (${safeLine(job.logPath)} does not exist and nothing is archived)`);
    return 1;
  }
  // One stream for the whole output: a character or CRLF split between two reads stays whole.
  const safe = new SafeBodyStream();
  const out = (chunk: Buffer) => (a.raw ? io.writeRaw(chunk) : io.write(safe.push(chunk)));
  for await (const chunk of readParts(plan.parts)) {
    if (io.stdoutClosed || stopped) break;
    await out(chunk);
  }
  if (!stop || stopped || io.stdoutClosed) {
    if (!a.raw) await io.write(safe.end());
    return 0;
  }

  let failure: string | undefined;
  let fail!: () => void;
  const failed = new Promise<void>((resolve) => (fail = resolve));
  let writing = Promise.resolve();
  const follower = new LogFollower(
    plan.follow,
    (chunk) => void (writing = writing.then(() => out(chunk))),
    FALLBACK_MS,
    (why) => {
      failure = why;
      fail();
    },
  );
  follower.start();
  await Promise.race([stop, failed]);
  follower.dispose();
  await follower.idle();
  await writing;
  if (!a.raw) await io.write(safe.end());
  if (failure) {
    io.error(`codex-jobs: ${safeLine(failure)}`);
    return 1;
  }
  return 0;
}
