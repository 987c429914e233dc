// The usage ledger's live path (issue #28), for `bench:cost`: one running task whose Codex session
// file grows by a turn a second (an agent message, a few response items, a token_count event),
// followed as the editor follows it (a file watch, an incremental bounded read per change): CPU as
// a share of a core. Then finding one thread's file among 10,000 session files over 60 days.
import { promises as fs } from 'fs';
import * as path from 'path';
import { UsageLedger } from '../src/core/usage/ledger';
import { SessionFiles } from '../src/core/usage/sessionFiles';
import { Emitter } from '../src/core/vocab/emitter';
import { jobOf } from '../test/core/featureHelpers';
import { rolloutPath, sessionLines, threadIdOf, type Turn } from '../test/core/usageFixtures';
import { now, type Row } from './table';

const MIN = 60_000;

function turn(i: number, atMs: number): Turn {
  return {
    atMs,
    input: 20_000 + i * 500,
    cached: 15_000 + i * 400,
    output: 800,
    reasoning: 200,
    primary: 40 + i / 100,
  };
}

/** A second's worth of a running task's session: response items around one token_count line. */
function linesFor(threadId: string, i: number): string {
  const lines = sessionLines(threadId, 'credits', [turn(i, Date.now())]).slice(1);
  const item = JSON.stringify({
    timestamp: new Date().toISOString(),
    type: 'response_item',
    payload: { type: 'function_call_output', output: 'x'.repeat(4000) },
  });
  return [item, item, ...lines].join('\n') + '\n';
}

export async function usageBench(o: { base: string; row: Row; cpuSeconds: number }): Promise<void> {
  const home = path.join(o.base, 'usage-home');
  await fs.rm(home, { recursive: true, force: true });
  const start = Date.now() - 10 * MIN;
  const id = threadIdOf(1);
  const file = rolloutPath(home, id, start);
  await fs.mkdir(path.dirname(file), { recursive: true });
  // A session already 5 MB long: the first read takes it all (in pieces), later reads only what is new.
  const first = sessionLines(
    id,
    'credits',
    Array.from({ length: 400 }, (_, i) => turn(i, start + i * 1000)),
  );
  const pad = JSON.stringify({ type: 'response_item', payload: { output: 'y'.repeat(12_000) } });
  await fs.writeFile(file, first.map((l) => `${pad}\n${l}`).join('\n') + '\n');
  const job = jobOf(
    { id: 'task-usage-bench', kind: 'task', status: 'running', threadId: id, startedAt: new Date(start).toISOString() },
    { status: 'running' },
  );
  const ledger = new UsageLedger({ homes: async () => [{ path: home, via: 'bench' }] });
  const source = new Emitter<unknown>();
  let changes = 0;
  ledger.onDidChange(() => changes++);
  const t0 = now();
  const follow = ledger.follow({ allJobs: () => [job], onDidChange: source.event });
  while (!ledger.usageOf(job)) await new Promise((r) => setTimeout(r, 20));
  o.row(
    'usage ledger: first read of a running task’s 5 MB session file',
    `${(now() - t0).toFixed(0)} ms, ${(ledger.costs.bytesRead / 1024 / 1024).toFixed(1)} MB read`,
  );
  await new Promise((r) => setTimeout(r, 1000));
  const read0 = ledger.costs.bytesRead;
  const changes0 = changes;
  const w0 = now();
  const cpu0 = process.cpuUsage();
  for (let s = 0; s < o.cpuSeconds; s++) {
    await fs.appendFile(file, linesFor(id, 400 + s));
    await new Promise((r) => setTimeout(r, 1000));
  }
  const cpu = process.cpuUsage(cpu0);
  const share = (cpu.user + cpu.system) / 1000 / (now() - w0);
  const total = ledger.usageOf(job)?.usage?.tokens.total;
  o.row(
    `usage ledger, one running task whose session file grows by a turn (~9 KB) a second, ${o.cpuSeconds} s`,
    `${(share * 100).toFixed(2)} % of a core (${((cpu.user + cpu.system) / 1000).toFixed(0)} ms CPU); ${changes - changes0} usage changes, ${((ledger.costs.bytesRead - read0) / 1024).toFixed(0)} KB read; ${total} tokens`,
    '<= 1 %',
    share <= 0.01,
  );
  follow.dispose();
  ledger.dispose();
  await findBench(o, path.join(o.base, 'usage-10k'));
}

/** 10,000 session files over 60 days (made once, kept in the bench's dir); one thread's found. */
async function findBench(o: { row: Row }, home: string): Promise<void> {
  const nowMs = Date.now();
  const files = Array.from({ length: 10_000 }, (_, i) =>
    rolloutPath(home, threadIdOf(1000 + i), nowMs - (i * 60 * 86_400_000) / 10_000),
  );
  if (!(await fs.stat(home).catch(() => undefined))) {
    for (const d of new Set(files.map((f) => path.dirname(f)))) await fs.mkdir(d, { recursive: true });
    for (let i = 0; i < files.length; i += 200)
      await Promise.all(files.slice(i, i + 200).map((f) => fs.writeFile(f, '')));
  }
  const target = 9_000;
  for (const [what, near] of [
    ['with the job’s start', nowMs - (target * 60 * 86_400_000) / 10_000],
    ['without (newest day first)', undefined],
  ] as const) {
    const s = new SessionFiles(home);
    const t = now();
    const found = await s.find(threadIdOf(1000 + target), near);
    o.row(
      `find one thread’s session file among 10,000 over 60 days (54 days old), ${what}`,
      `${(now() - t).toFixed(1)} ms, ${s.counts.readdirs} readdirs, ${s.counts.opens} dir opens, ${s.counts.entries} names${found ? '' : ' (NOT FOUND)'}`,
    );
  }
}
