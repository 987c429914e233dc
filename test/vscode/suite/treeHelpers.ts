// What the findings suites share: waiting for a condition, and a job's row in the Jobs view.
import type { CodexJobsApi } from '../../../src/extension';
import type { JobNode, JobsNode } from '../../../src/ui/jobsTree';

export async function until(what: string, ok: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The row of job `id` in the Jobs view, walking folders and groups as they are shown now. */
export function jobNodeOf(a: CodexJobsApi, id: string): JobNode | undefined {
  const walk = (n?: JobsNode): JobNode | undefined => {
    for (const c of a.jobsTree.getChildren(n) as JobsNode[]) {
      if (c.type === 'job' && c.job.id === id) return c;
      if (c.type === 'folder' || c.type === 'group') {
        const f = walk(c);
        if (f) return f;
      }
    }
    return undefined;
  };
  return walk();
}
