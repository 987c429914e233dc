// `codex-jobs timeline [--html file] [path]`: the job timeline the editor's panel draws, as one
// self-contained HTML file for a bug report: the same layout (core/timeline) and the same page script
// (dist/timeline.js, inlined), no network, a strict Content-Security-Policy. The file is the one
// thing written: replaced atomically, never through a link, onto a FIFO or a directory, or into a
// state dir or the archive (core/io/sarifFile.ts's writer). Without --html, a new temp dir holds it.
import * as os from 'os';
import * as path from 'path';
import { randomBytes } from 'crypto';
import { promises as fs } from 'fs';
import { layoutTimeline } from '../../core/timeline/layout';
import { LogPhaseCache } from '../../core/timeline/logPhaseRead';
import { timelinePage } from '../../core/timeline/page';
import { writeOutputFile } from '../../core/io/sarifFile';
import { safeLine } from '../../core/vocab/terminalText';
import type { Args } from '../args';
import { cliArchive, collect, printWarnings, roots } from '../jobs';
import type { Output } from '../output';
import { brokerScan } from './brokers';

/** The page script, built beside the CLI (esbuild's browser entry). */
async function pageScript(): Promise<string> {
  const file = path.join(__dirname, 'timeline.js');
  try {
    return await fs.readFile(file, 'utf8');
  } catch (err) {
    throw new Error(`the timeline's page script ${file} cannot be read (${(err as NodeJS.ErrnoException).code})`, {
      cause: err,
    });
  }
}

export async function timelineCommand(a: Args, io: Output): Promise<number> {
  const r = await collect(a, a.positional[0]);
  // Brokers are part of the picture when they can be scanned; a failed scan leaves their lanes out.
  const scan = await brokerScan(a).catch(() => undefined);
  const now = Date.now();
  const logPhases = await new LogPhaseCache().phasesOf(r.jobs, now);
  const scope = r.workspace ? path.basename(r.workspace) : 'All Workspaces';
  const layout = layoutTimeline({
    jobs: r.jobs,
    brokers: scan && { entries: scan.entries, scannedAtMs: scan.scannedAtMs },
    nowMs: now,
    scope,
    logPhases,
  });
  const html = timelinePage({
    nonce: randomBytes(18).toString('base64'),
    title: `Codex job timeline · ${scope} · ${new Date(now).toISOString()}`,
    inline: { script: await pageScript(), layout },
  });
  printWarnings(r.warnings, (l) => io.error(l));
  if (a.html === '-') {
    await io.write(html);
    return 0;
  }
  const target = a.html ?? path.join(await fs.mkdtemp(path.join(os.tmpdir(), 'codex-jobs-timeline-')), 'timeline.html');
  const guarded = [...(await roots(a)).map((x) => x.path), ...r.stateDirs, cliArchive().dir];
  const w = await writeOutputFile(target, html, guarded);
  if (!w.ok) {
    io.error(`codex-jobs: ${safeLine(w.message)}`);
    return 1;
  }
  await io.line(safeLine(w.path));
  io.error(`codex-jobs: wrote the timeline of ${layout.bars.length} jobs (${w.bytes} bytes)`);
  return 0;
}
