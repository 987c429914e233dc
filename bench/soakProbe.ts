// Loaded with `node --require` into a process the soak benchmark measures (the model's runner, or
// `codex-jobs watch`): every few seconds it appends one line of JSON to $SOAK_PROBE_FILE with the
// process's memory, CPU time and event-loop delay since the last line. With SOAK_FAKE_TTY=1 stdout
// says it is a 120x40 terminal, so `watch` draws its screen as it does for a person.
import { appendFileSync } from 'fs';
import { monitorEventLoopDelay } from 'perf_hooks';

const file = process.env.SOAK_PROBE_FILE;
if (process.env.SOAK_FAKE_TTY === '1')
  Object.assign(process.stdout, { isTTY: true, columns: 120, rows: 40, getWindowSize: () => [120, 40] });
if (file) {
  const h = monitorEventLoopDelay({ resolution: 10 });
  h.enable();
  let cpu = process.cpuUsage();
  let at = Date.now();
  const every = Number(process.env.SOAK_PROBE_MS ?? 5000);
  const t = setInterval(() => {
    const now = Date.now();
    const used = process.cpuUsage(cpu);
    const m = process.memoryUsage();
    const line = {
      t: now,
      rss: m.rss,
      heapUsed: m.heapUsed,
      cpu: (used.user + used.system) / 1000 / (now - at),
      eldP50: h.percentile(50) / 1e6,
      eldP99: h.percentile(99) / 1e6,
      eldMax: h.max / 1e6,
    };
    appendFileSync(file, `${JSON.stringify(line)}\n`);
    h.reset();
    cpu = process.cpuUsage();
    at = now;
  }, every);
  t.unref();
}
