// `codex-jobs reap`: ends orphan brokers and clears dead session dirs, after asking (or --yes).
import * as readline from 'readline';
import { planReap, reap } from '../../core/brokers/reaper';
import { UsageError, type Args } from '../args';
import { printWarnings, processTable } from '../jobs';
import type { Output } from '../output';
import { brokerScan } from './brokers';
import { safeLine } from '../../core/vocab/terminalText';

/** Where a broker is, for a line: its session dir (made safe) or its pid. */
const where = (e: { dir?: string; pid?: number }) => (e.dir === undefined ? `pid ${e.pid}` : safeLine(e.dir));

async function ask(question: string): Promise<boolean> {
  const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
  const answer = await new Promise<string>((r) => rl.question(question, r));
  rl.close();
  return /^y(es)?$/i.test(answer.trim());
}

export async function reapCommand(a: Args, io: Output): Promise<number> {
  const scan = await brokerScan(a);
  printWarnings(scan.warnings, (l) => io.error(l));
  const plan = planReap(scan);
  for (const e of plan.reap) await io.line(`would reap ${where(e)} (${e.class}): ${safeLine(e.reason)}`);
  for (const s of plan.skip) await io.line(`would leave ${where(s.entry)}: ${safeLine(s.why)}`);
  if (a.dryRun || plan.reap.length === 0) {
    await io.line(`${plan.reap.length} to reap, ${plan.skip.length} left alone${a.dryRun ? ' (dry run)' : ''}`);
    return 0;
  }
  if (!a.yes) {
    if (!process.stdin.isTTY)
      throw new UsageError('reap needs --yes when not run from a terminal (or --dry-run)', 'reap');
    if (!(await ask(`Reap ${plan.reap.length}? [y/N] `))) return 1;
  }
  const s = await reap(plan, { table: processTable() });
  for (const o of s.outcomes)
    if (o.result !== 'skipped') await io.line(`${o.result}: ${where(o.entry)}: ${safeLine(o.detail)}`);
  await io.line(
    `reaped ${s.reaped}, already gone ${s.alreadyGone}, skipped ${s.skipped}, failed ${s.failed} in ${(s.ms / 1000).toFixed(1)} s`,
  );
  return s.failed ? 1 : 0;
}
