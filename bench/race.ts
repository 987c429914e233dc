// `npm run bench:race`: N parallel background launches through the fake companion, whose unlocked
// state.json writes drop jobs and delete their files (races 1 and 2), while codex-jobs watches and
// archives. Every byte a job ever wrote to its log is counted by the fake (a ledger), so the table
// says exactly how much the archive kept and how much was lost.
// Options: --jobs N (default 32), --run-ms N (how long each job runs, default 3000).
import { spawn } from 'child_process';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { JobArchive } from '../src/core/archive';
import { LiveUpdates } from '../src/core/live';
import { JobsModel } from '../src/core/model';
import { createProcessTable } from '../src/core/processes';
import { DEFAULT_SETTINGS } from '../src/core/types';

const args = process.argv.slice(2);
const opt = (name: string, d: number) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : d;
};
const N = opt('--jobs', 32);
const runMs = opt('--run-ms', 3000);
const FAKE = path.resolve(__dirname, '..', '..', 'test', 'fixtures', 'fake-plugin', 'scripts', 'codex-companion.mjs');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'codex-jobs-race-'));
  const workspace = path.join(tmp, 'ws');
  const pluginData = path.join(tmp, 'plugin-data');
  const ledger = path.join(tmp, 'ledger.tsv');
  await fs.mkdir(workspace);
  await fs.writeFile(ledger, '');
  const archive = new JobArchive(path.join(tmp, 'archive'));
  const model = new JobsModel({
    archive,
    host: { env: {}, homedir: tmp, tmpdir: path.join(tmp, 'no-tmp'), platform: process.platform },
    table: createProcessTable(),
    settings: { ...DEFAULT_SETTINGS, extraRoots: [path.join(pluginData, 'state')] },
  });
  model.setFolders([{ path: workspace, name: 'ws' }]);
  const live = new LiveUpdates(model, { debounceMs: 30 });
  await live.start();
  await live.watcher.ready();

  const env = { ...process.env, CLAUDE_PLUGIN_DATA: pluginData, FAKE_COMPANION_MODE: `exit-after-ms:${runMs}`, FAKE_COMPANION_PROGRESS_MS: '100', FAKE_COMPANION_LEDGER: ledger };
  // One job first: the state dir exists and is watched, as in everyday use.
  await new Promise((r) => spawn(process.execPath, [FAKE, 'task', '--background', '--json', '--cwd', workspace, 'warm-up'], { env: { ...env, FAKE_COMPANION_MODE: 'exit' }, stdio: 'ignore' }).on('exit', r));
  while (model.allJobs().length === 0) await sleep(50);
  await live.watcher.ready();
  await sleep(300);
  const t0 = Date.now();
  // Launched from another process, as users do: spawning is synchronous work that would otherwise
  // stall this process, the one doing the watching.
  const launcher = `
    const { spawn } = require('child_process');
    const [fake, ws, n] = process.argv.slice(1);
    Promise.all(Array.from({ length: Number(n) }, (_, i) => new Promise((resolve) => {
      const c = spawn(process.execPath, [fake, 'task', '--background', '--json', '--cwd', ws, 'race job ' + i], { stdio: ['ignore', 'pipe', 'ignore'] });
      let out = '';
      c.stdout.on('data', (d) => (out += d));
      c.on('exit', () => { try { resolve(JSON.parse(out).jobId); } catch { resolve(null); } });
    }))).then((ids) => process.stdout.write(JSON.stringify(ids)));`;
  const launched = await new Promise<(string | null)[]>((resolve) => {
    const child = spawn(process.execPath, ['-e', launcher, FAKE, workspace, String(N)], { env, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', () => resolve(JSON.parse(out || '[]') as (string | null)[]));
  });
  // Until every worker is done: the ledger stops growing.
  let last = -1;
  for (;;) {
    await sleep(1000);
    const size = (await fs.stat(ledger)).size;
    if (size === last && Date.now() - t0 > runMs + 1000) break;
    last = size;
  }
  await sleep(500);
  await model.idle();
  // Bytes still in the state dir are not lost: one more look copies whatever the last events left.
  await model.refresh();
  await model.idle();
  await archive.flush();

  const written = new Map<string, number>();
  for (const line of (await fs.readFile(ledger, 'utf8')).split('\n').filter(Boolean)) {
    const [id, bytes] = line.split('\t');
    written.set(id, (written.get(id) ?? 0) + Number(bytes));
  }
  const stateDir = model.allJobs()[0]?.stateDir ?? '';
  const state = JSON.parse(await fs.readFile(path.join(stateDir, 'state.json'), 'utf8').catch(() => '{"jobs":[]}')) as { jobs: { id: string }[] };
  let totalWritten = 0;
  let totalArchived = 0;
  let lost = 0;
  const lostJobs: string[] = [];
  const how = new Map<string, number>();
  for (const [id, bytes] of written) {
    const e = archive.get(stateDir, id);
    // What the archive holds of the job's own bytes: its log copy without the notes it adds itself.
    const copy = await fs.readFile(archive.entryPaths(stateDir, id).log, 'utf8').catch(() => '');
    const kept = Buffer.byteLength(copy.replace(/\n\[codex-jobs\] the log was re-created at \S+; what follows is its new content\n/g, ''));
    totalWritten += bytes;
    totalArchived += Math.min(kept, bytes);
    if (kept < bytes) {
      lost += bytes - kept;
      lostJobs.push(`${id} (${bytes - kept} of ${bytes} bytes${e ? '' : ', never seen'})`);
    }
    const j = model.findJob(stateDir, id);
    const word = j ? (j.flags.find((f) => f.startsWith('deleted') || f === 'pruned' || f === 'unindexed' || f === 'record-missing') ?? 'intact') : 'not shown';
    how.set(word, (how.get(word) ?? 0) + 1);
  }
  const rows: [string, string][] = [
    ['parallel launches', String(N)],
    ['job ids printed by the companion', String(launched.filter(Boolean).length)],
    ['jobs left in state.json at the end', String(state.jobs.length)],
    ['jobs shown by codex-jobs', String(model.allJobs().length)],
    ['  of which', [...how].map(([w, n]) => `${n} ${w}`).join(', ')],
    ['log bytes written (ledger)', String(totalWritten)],
    ['log bytes archived', String(totalArchived)],
    ['log bytes lost', `${lost}${lostJobs.length ? ` in ${lostJobs.length} jobs: ${lostJobs.join('; ')}` : ''}`],
    ['records archived', String([...written.keys()].filter((id) => archive.get(stateDir, id)?.record).length)],
  ];
  const w = Math.max(...rows.map((r) => r[0].length));
  for (const [k, v] of rows) console.log(`${k.padEnd(w)}  ${v}`);
  await live.dispose();
  model.dispose();
  await archive.dispose();
  if (process.env.RACE_KEEP) console.log(`kept ${tmp}; state dir ${stateDir}; archive ${archive.dir}`);
  else await fs.rm(tmp, { recursive: true, force: true });
  process.exitCode = lost > 0 ? 1 : 0;
}

main().catch((err) => {
  console.error(err);
  process.exit(2);
});
