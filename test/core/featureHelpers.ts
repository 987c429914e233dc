// Jobs built from real companion records (companion-examples) or hand-made ones, for the feature tests.
import { readFileSync } from 'fs';
import * as path from 'path';
import { parseJobFields } from '../../src/core/io/reader';
import type { DerivedStatus, Job, LogLine, RecordedStatus } from '../../src/core/vocab/types';

export const EXAMPLES = '/work/shared/companion-examples';

export function exampleRecord(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(path.join(EXAMPLES, 'jobs', `${name}.json`), 'utf8')) as Record<string, unknown>;
}

export function jobOf(
  rec: Record<string, unknown>,
  opts: { status?: DerivedStatus; progress?: (string | LogLine)[]; index?: Record<string, unknown> } = {},
): Job {
  const { fields } = parseJobFields(rec, 'test');
  if (!fields) throw new Error('unparseable test record');
  const index = opts.index ? parseJobFields(opts.index, 'index').fields : undefined;
  const recorded = fields.status as RecordedStatus | undefined;
  return {
    id: fields.id,
    stateDir: '/state/dir',
    record: fields,
    index,
    display: fields,
    recordedStatus: recorded,
    status: opts.status ?? (recorded as DerivedStatus) ?? 'unknown',
    flags: [],
    logPath: `/state/dir/jobs/${fields.id}.log`,
    recordPath: `/state/dir/jobs/${fields.id}.json`,
    log: {
      exists: true,
      progress: (opts.progress ?? []).map((p) => (typeof p === 'string' ? { text: p } : p)),
    },
  };
}
