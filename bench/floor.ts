// The floor of a `status`, as a whole process (`node out/bench/floor.js <stateDir> [pid...]`): the
// same files read synchronously with nothing else done: state.json, every record, a 64 KB tail of
// every log, /proc/<pid>/stat and cmdline of the live pids. Prints the bytes read (so none of it is
// optimised away). bench/cost.ts times it beside `status --json`.
import * as fs from 'fs';
import * as path from 'path';

const TAIL = 64 * 1024;

function readWhole(file: string): number {
  try {
    return fs.readFileSync(file).length;
  } catch {
    return 0;
  }
}

function readTail(file: string, buf: Buffer): number {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    return 0;
  }
  try {
    const size = fs.fstatSync(fd).size;
    const len = Math.min(size, TAIL);
    return fs.readSync(fd, buf, 0, len, size - len);
  } finally {
    fs.closeSync(fd);
  }
}

function main(): void {
  const [stateDir, ...pids] = process.argv.slice(2);
  const jobs = path.join(stateDir, 'jobs');
  const buf = Buffer.allocUnsafe(TAIL);
  let bytes = readWhole(path.join(stateDir, 'state.json'));
  for (const name of fs.readdirSync(jobs)) {
    const file = path.join(jobs, name);
    if (name.endsWith('.json')) bytes += readWhole(file);
    else if (name.endsWith('.log')) bytes += readTail(file, buf);
  }
  for (const pid of pids) bytes += readWhole(`/proc/${pid}/stat`) + readWhole(`/proc/${pid}/cmdline`);
  process.stdout.write(`${bytes}\n`);
}

main();
