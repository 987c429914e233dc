// `codex-jobs brokers`: every app-server broker and leftover session dir, and its class.
import * as os from 'os';
import { scanBrokers } from '../../core/brokers';
import { formatBytes, formatDuration } from '../../core/format';
import type { Args } from '../args';
import { checkStateRoots, printWarnings, processTable, roots } from '../jobs';
import type { Output } from '../output';

export async function brokerScan(a: Args) {
  await checkStateRoots(a);
  return scanBrokers({ tmpdir: os.tmpdir(), stateRoots: await roots(a), graceMs: a.graceMs, table: processTable() });
}

export async function brokersCommand(a: Args, io: Output): Promise<number> {
  const scan = await brokerScan(a);
  if (a.json) {
    const body = {
      brokers: scan.entries.map((e) => ({
        key: e.key,
        class: e.class,
        reason: e.reason,
        dir: e.dir ?? null,
        pid: e.pid ?? null,
        ageMs: e.ageMs ?? null,
        endpoint: e.endpoint ?? null,
        referencedBy: e.referencedBy,
        children: e.children.map((c) => ({ pid: c.pid, argv: c.argv ?? [] })),
        rssBytes: e.rssBytes ?? null,
        files: e.files,
      })),
      warnings: scan.warnings,
    };
    await io.line(JSON.stringify(body, null, 2));
    return 0;
  }
  for (const e of scan.entries)
    await io.line(
      `${e.class.padEnd(12)} ${(e.dir ?? `pid ${e.pid}`).padEnd(40)} ${e.pid ? `pid ${e.pid}` : ''} ${e.ageMs !== undefined ? formatDuration(e.ageMs) : ''} ${e.children.length ? `${e.children.length} children` : ''} ${formatBytes(e.rssBytes)}  ${e.reason}`,
    );
  if (scan.entries.length === 0) await io.line('No brokers and no broker session dirs.');
  printWarnings(scan.warnings, (l) => io.error(l));
  return 0;
}
