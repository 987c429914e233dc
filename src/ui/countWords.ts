// The words for job counts, one spelling for the status bar, the view badge, the groups and the
// folders: all of them count by the same rule (countJobs), so they never disagree.
import type { JobCounts } from '../core/vocab/classify';
import { t } from './l10n';

/** "2 running", "1 queued", "1 needs attention" / "3 need attention"; zeros left out. */
export function countWords(c: Pick<JobCounts, 'running' | 'queued' | 'attention'>): string[] {
  const parts: string[] = [];
  if (c.running) parts.push(t('{0} running', c.running));
  if (c.queued) parts.push(t('{0} queued', c.queued));
  if (c.attention) parts.push(c.attention === 1 ? t('1 needs attention') : t('{0} need attention', c.attention));
  return parts;
}
