// `codex-jobs brokers`: every app-server broker and leftover session dir, and its class.
import * as os from 'os';
import { scanBrokers, type BrokerEntry } from '../../core/brokers/brokers';
import { formatBytes, formatDuration } from '../../core/vocab/format';
import type { Args } from '../args';
import { checkStateRoots, printWarnings, processTable, roots } from '../jobs';
import type { Output } from '../output';
import { displayWidth, ellipsize, padEnd, safeJson, safeLine } from '../../core/vocab/terminalText';

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
    await io.line(safeJson(body));
    return 0;
  }
  if (scan.entries.length) await io.line(brokersTable(scan.entries, io.width).join('\n'));
  if (scan.entries.length === 0) await io.line('No brokers and no broker session dirs.');
  printWarnings(scan.warnings, (l) => io.error(l));
  return 0;
}

/** A header and one row per broker; the reason comes last, so a terminal's width cuts it first. */
function brokersTable(entries: BrokerEntry[], width: number | undefined): string[] {
  const rows = [
    ['CLASS', 'DIR', 'PID', 'AGE', 'CHILDREN', 'RSS', 'REASON'],
    ...entries.map((e) => [
      e.class,
      e.dir === undefined ? '-' : safeLine(e.dir),
      e.pid ? String(e.pid) : '-',
      e.ageMs !== undefined ? formatDuration(e.ageMs) : '-',
      String(e.children.length),
      formatBytes(e.rssBytes) || '-',
      safeLine(e.reason),
    ]),
  ];
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => displayWidth(r[i]))));
  return rows.map((r) => {
    const line = r.map((c, i) => (i === r.length - 1 ? c : padEnd(c, widths[i]))).join('  ');
    return width === undefined ? line : ellipsize(line, width);
  });
}
