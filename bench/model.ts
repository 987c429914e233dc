// The model a benchmark drives: its folders, one state root, and no home or temp dir searched.
import * as path from 'path';
import type { JobArchive } from '../src/core/archive/archive';
import { JobsModel } from '../src/core/model/model';
import { createProcessTable } from '../src/core/os/processes';
import { DEFAULT_SETTINGS, type ProcessTable } from '../src/core/vocab/types';

export function benchModel(o: {
  /** A dir of the benchmark's own: the empty home and temp dir are named under it. */
  base: string;
  stateRoot: string;
  folders: { path: string; name: string }[];
  archive?: JobArchive;
  table?: ProcessTable;
}): JobsModel {
  const model = new JobsModel({
    archive: o.archive,
    host: {
      env: {},
      homedir: path.join(o.base, 'no-home'),
      tmpdir: path.join(o.base, 'no-tmp'),
      platform: process.platform,
    },
    table: o.table ?? createProcessTable(),
    settings: { ...DEFAULT_SETTINGS, extraRoots: [o.stateRoot] },
  });
  model.setFolders(o.folders);
  return model;
}
