// Writes that a reader never sees half done: a temp file beside the target, then a rename. The temp
// name says whose it is, for anyone who finds one left behind by a crash.
import { promises as fs } from 'fs';

export function tempPathFor(file: string): string {
  return `${file}.codex-jobs-${process.pid}.tmp`;
}

export async function writeFileAtomic(file: string, data: string): Promise<void> {
  const tmp = tempPathFor(file);
  await fs.writeFile(tmp, data);
  await fs.rename(tmp, file);
}
