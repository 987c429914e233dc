// Where Codex keeps its sessions (CODEX_HOME), learned like the state roots: the setting, this
// process's environment, the environments of live companion and broker processes (the Codex they
// start inherits theirs), else ~/.codex. Each is a place to search; none is written.
import * as path from 'path';
import { learnRoots } from '../discovery/roots';
import type { ProcessTable } from '../vocab/types';

export interface CodexHome {
  path: string;
  /** In words: "the setting codexJobs.codexHome", "CODEX_HOME", "CODEX_HOME of broker pid 4242", "the default". */
  via: string;
}

export interface CodexHomeOptions {
  /** `codexJobs.codexHome`. */
  setting?: string;
  env: Record<string, string | undefined>;
  homedir: string;
  /** Given: the environments of live companion and broker processes are read too. */
  table?: ProcessTable;
  platform?: NodeJS.Platform;
}

/** At most this many homes are searched (a home named by each of many processes is still one). */
const MAX_HOMES = 4;

/** Every CODEX_HOME to search, first the one this user chose; only absolute paths, each once. */
export async function codexHomes(o: CodexHomeOptions): Promise<CodexHome[]> {
  const out: CodexHome[] = [];
  const add = (p: string | undefined, via: string) => {
    const v = p?.trim();
    if (!v || !path.isAbsolute(v) || out.length >= MAX_HOMES) return;
    const n = path.resolve(v);
    if (!out.some((h) => h.path === n)) out.push({ path: n, via });
  };
  add(o.setting, 'the setting codexJobs.codexHome');
  add(o.env.CODEX_HOME, 'CODEX_HOME');
  if (o.table) {
    const learned = await learnRoots(o.table, await o.table.list(), { platform: o.platform }).catch(() => undefined);
    for (const p of learned?.processes ?? [])
      if (p.env.ok) add(p.env.env.CODEX_HOME, `CODEX_HOME of ${p.role} pid ${p.info.pid}`);
  }
  add(path.join(o.homedir, '.codex'), 'the default (~/.codex)');
  return out;
}
