// Change-to-model latency: isolated writes to records, logs and the index, each timed from the
// write to the model's update that shows it, with marks unique to the run.
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { LiveUpdates } from '../src/core/model/live';
import type { Job } from '../src/core/vocab/types';
import type { GeneratedWorkspace } from './generate';
import { benchModel } from './model';
import { ms, now, pct, type Row } from './table';
import type { LiveFloor } from './liveFloor';

export async function latencyBench(
  ws: GeneratedWorkspace,
  o: { base: string; row: Row; floor?: LiveFloor },
): Promise<void> {
  const { base, row } = o;
  const model = benchModel({ base, stateRoot: ws.stateRoot, folders: [{ path: ws.workspace, name: 'big' }] });
  const live = new LiveUpdates(model, { debounceMs: 30 });
  await live.start();
  await live.watcher.ready();
  const jobsDir = path.join(ws.stateDir, 'jobs');
  const indexed = ws.ids.slice(-50);
  const stateFile = path.join(ws.stateDir, 'state.json');
  const state = JSON.parse(await fs.readFile(stateFile, 'utf8'));
  const lat: Record<string, number[]> = { record: [], log: [], index: [] };
  // The process's CPU time from each write to the model's update: the work in a latency, which a
  // loaded machine stretches less than the wall time (the wait for a core).
  const cpu: Record<string, number[]> = { record: [], log: [], index: [] };
  const find = (id: string): Job | undefined => model.findJob(ws.stateDir, id);
  const until = (ok: () => boolean, what = '') =>
    new Promise<void>((resolve, reject) => {
      if (ok()) return resolve();
      const timer = setTimeout(
        () => (sub.dispose(), reject(new Error('no model update within 5 s for ' + what))),
        5000,
      );
      const sub = model.onDidChange(() => {
        if (ok()) {
          clearTimeout(timer);
          sub.dispose();
          resolve();
        }
      });
    });
  // Marks unique to this run: a mark left in the files by an earlier run would satisfy a wait at once.
  const runId = `${process.pid}-${Date.now().toString(36)}`;
  for (let n = 0; n < 200; n++) {
    const id = indexed[n % indexed.length];
    const kind = (['record', 'log', 'index'] as const)[n % 3];
    const mark = `bench-${runId}-${n}`;
    // What is written is made first: the time runs from the write, not from preparing it.
    const rec = kind === 'record' ? JSON.parse(await fs.readFile(path.join(jobsDir, `${id}.json`), 'utf8')) : undefined;
    if (kind === 'index')
      state.jobs = state.jobs.map((e: { id: string }) =>
        e.id === id ? { ...e, phase: mark, updatedAt: new Date().toISOString() } : e,
      );
    const text =
      kind === 'record'
        ? JSON.stringify({ ...rec, phase: mark, completedAt: new Date().toISOString() })
        : kind === 'index'
          ? JSON.stringify(state, null, 2)
          : `[${new Date().toISOString()}] ${mark}\n`;
    const c = process.cpuUsage();
    const t = now();
    if (kind === 'record') {
      await fs.writeFile(path.join(jobsDir, `${id}.json`), text);
      await until(() => find(id)?.record?.phase === mark, `record ${n} ${id}`);
    } else if (kind === 'log') {
      await fs.appendFile(path.join(jobsDir, `${id}.log`), text);
      await until(
        () => find(id)?.log.progress.at(-1)?.text === mark,
        `log ${n} ${id} last=${find(id)?.log.progress.at(-1)?.text}`,
      );
    } else {
      await fs.writeFile(stateFile, text);
      await until(() => find(id)?.index?.phase === mark, `index ${n} ${id}`);
    }
    lat[kind].push(now() - t);
    const used = process.cpuUsage(c);
    cpu[kind].push((used.user + used.system) / 1000);
    // Isolated changes: longer apart than the coalescing window, so each is handled on its leading edge.
    await new Promise((r) => setTimeout(r, 50));
  }
  const all = [...lat.record, ...lat.log, ...lat.index];
  row('change-to-model, 200 writes: p50', ms(pct(all, 50)), '', undefined);
  row('change-to-model, 200 isolated writes: p95', ms(pct(all, 95)), '<= 3 ms idle', pct(all, 95) <= 3);
  if (o.floor)
    row(
      '  p50 / p95 against the floor (watch -> read -> parse)',
      `${(pct(all, 50) / o.floor.latencyP50).toFixed(1)}x / ${(pct(all, 95) / o.floor.latencyP95).toFixed(1)}x`,
    );
  row(
    '  p95 by kind (record / log / index)',
    `${ms(pct(lat.record, 95))} / ${ms(pct(lat.log, 95))} / ${ms(pct(lat.index, 95))}`,
    '',
    undefined,
  );
  const allCpu = [...cpu.record, ...cpu.log, ...cpu.index];
  row(
    '  CPU per change, p50 / p95 (record / log / index p95)',
    `${ms(pct(allCpu, 50))} / ${ms(pct(allCpu, 95))} (${ms(pct(cpu.record, 95))} / ${ms(pct(cpu.log, 95))} / ${ms(pct(cpu.index, 95))})`,
    '',
    undefined,
  );
  row('  load average during the writes', os.loadavg()[0].toFixed(1), '', undefined);
  await live.dispose();
  model.dispose();
}
