// The floors of the live path, measured in-process on the same disk: a log line's watch event, the
// read of its appended bytes and the parse of its line (latency, p50/p95 of isolated appends), and
// the CPU of that read and parse alone per line. bench/cost.ts prints the extension's figures beside them.
import { closeSync, fstatSync, openSync, promises as fs, readSync, watch } from 'fs';
import { now, pct } from './table';

const LINE = /^\[(\d{4}-\d\d-\d\dT[^\]]+)\] (.*)$/;

export interface LiveFloor {
  latencyP50: number;
  latencyP95: number;
  /** CPU of reading one appended line (open, fstat, read, close) and parsing it, ms. */
  cpuPerLineMs: number;
}

/** Reads what was appended to `file` since `from` (one open, fstat, read, close) and parses its last line. */
function readAppended(file: string, from: number, buf: Buffer): { size: number; text?: string } {
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    const n = readSync(fd, buf, 0, Math.min(buf.length, size - from), from);
    const line = buf.toString('utf8', 0, n).trimEnd().split('\n').pop() ?? '';
    return { size, text: LINE.exec(line)?.[2] };
  } finally {
    closeSync(fd);
  }
}

export async function liveFloor(file: string, n = 60): Promise<LiveFloor> {
  const buf = Buffer.allocUnsafe(64 * 1024);
  let size = (await fs.stat(file)).size;
  const lat: number[] = [];
  let waiting: ((text: string) => void) | undefined;
  const w = watch(file, () => {
    if (!waiting) return;
    const r = readAppended(file, size, buf);
    size = r.size;
    if (r.text) waiting(r.text);
  });
  try {
    for (let i = 0; i < n; i++) {
      const mark = `floor-${process.pid}-${i}`;
      const seen = new Promise<string>((r) => (waiting = (t) => t === mark && r(t)));
      const t = now();
      await fs.appendFile(file, `[${new Date().toISOString()}] ${mark}\n`);
      await seen;
      lat.push(now() - t);
      waiting = undefined;
      await new Promise((r) => setTimeout(r, 20));
    }
  } finally {
    w.close();
  }
  // The read and parse alone, warm: what a line costs when nothing else is done.
  const reps = 2000;
  const c = process.cpuUsage();
  const from = Math.max(0, size - 80);
  for (let i = 0; i < reps; i++) readAppended(file, from, buf);
  const used = process.cpuUsage(c);
  return { latencyP50: pct(lat, 50), latencyP95: pct(lat, 95), cpuPerLineMs: (used.user + used.system) / 1000 / reps };
}
