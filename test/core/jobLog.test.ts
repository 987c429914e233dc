// One merged view of a job's log: the state dir's file, the archive's copy where it holds more,
// and following whichever grows.
import { afterEach, beforeEach, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { promises as fs } from 'fs';
import * as path from 'path';
import { JobArchive } from '../../src/core/archive/archive';
import {
  LogFollower,
  logSourceOf,
  planJobLog,
  readParts,
  readPlanTail,
  type LogSource,
} from '../../src/core/archive/jobLog';
import { jobWithLog, sandbox, type Sandbox } from './helpers';
import { until } from './launchHelpers';

describe('the merged job log', () => {
  let sb: Sandbox;
  let archive: JobArchive;
  const id = 'task-mwu4a001-merged';
  const logFile = () => path.join(sb.stateDir, 'jobs', `${id}.log`);
  beforeEach(async () => {
    sb = await sandbox();
    await fs.mkdir(path.join(sb.stateDir, 'jobs'), { recursive: true });
    archive = new JobArchive(path.join(sb.tmp, 'archive'));
  });
  afterEach(async () => {
    await archive.dispose();
    await sb.cleanup();
  });
  const job = () => jobWithLog(sb.stateDir, id, logFile());
  const source = async (): Promise<LogSource> =>
    logSourceOf(await job(), archive.get(sb.stateDir, id), {
      file: archive.entryPaths(sb.stateDir, id).log,
      root: archive.dir,
    });
  const text = async (src: LogSource) => {
    const parts: Buffer[] = [];
    for await (const b of readParts((await planJobLog(src)).parts)) parts.push(b);
    return Buffer.concat(parts).toString();
  };

  test('the state file when whole; the archive copy when the log was deleted; both lives when re-created', async () => {
    await fs.writeFile(logFile(), 'first life\n');
    await archive.observe(sb.stateDir, [await job()], 1);
    await fs.appendFile(logFile(), 'more\n');
    assert.equal(await text(await source()), 'first life\nmore\n', 'the state file holds it all');
    await archive.observe(sb.stateDir, [await job()], 1);
    await fs.rm(logFile());
    assert.equal(await text(await source()), 'first life\nmore\n', 'deleted: the archive copy');
    await fs.writeFile(logFile(), 'second life\n');
    const merged = await text(await source());
    assert.match(merged, /^first life\nmore\n.*second life\n$/s, 'a new life not copied yet follows the copy');
    await archive.observe(sb.stateDir, [await job()], 1);
    await fs.appendFile(logFile(), 'and on\n');
    assert.match(
      await text(await source()),
      /^first life\nmore\n\n\[codex-jobs\] the log was re-created.*\nsecond life\nand on\n$/s,
    );
  });

  test('following: appended bytes, then a re-created log from its start', async () => {
    await fs.writeFile(logFile(), 'a\n');
    const plan = await planJobLog(await source());
    const got: string[] = [];
    const f = new LogFollower(plan.follow, (b) => got.push(b.toString()), 100);
    f.start();
    try {
      await fs.appendFile(logFile(), 'b\n');
      await until(async () => (got.join('').includes('b\n') ? true : undefined), 'the append');
      await fs.rm(logFile());
      await fs.writeFile(logFile(), 'new\n');
      await until(async () => (got.join('').endsWith('new\n') ? true : undefined), 'the new life');
      assert.match(got.join(''), /^b\n.*re-created.*\nnew\n$/s);
    } finally {
      f.dispose();
    }
  });

  test('the end of the merged log, from a line start, says how much came before', async () => {
    await fs.writeFile(logFile(), 'line one\nline two\nline three\n');
    const plan = await planJobLog(await source());
    const tail = await readPlanTail(plan, 14);
    assert.equal(tail.text, 'line three\n');
    assert.equal(tail.omitted, plan.bytes - 11);
    assert.equal((await readPlanTail(plan, 1000)).text, 'line one\nline two\nline three\n');
  });
});
