// What the editor shows of a review's findings, and their marks across the reviews of one target:
// one cache of the series for the whole extension, so the rows, Show Result and the Problems panel
// asking about the same list of jobs cost one grouping between them (core/io/reviewFindings.ts).
import type { Job } from '../core/vocab/types';
import type { FolderState } from '../core/model/model';
import * as path from 'path';
import { findingLocation, lexicalPlace, type Finding, type ReviewResult } from '../core/io/findings';
import { isPlainText, ReviewSeriesCache, reviewFindingsOf, type ReviewSeriesIndex } from '../core/io/reviewFindings';
import { t } from './l10n';

const cache = new ReviewSeriesCache();

/**
 * A review's findings as rows and Show Result list them: the adversarial review's JSON or the native
 * review's findings block. A native review's text with no block stays text (undefined here).
 */
export function reviewOf(job: Job): ReviewResult | undefined {
  const r = reviewFindingsOf(job);
  return r && !isPlainText(r) ? r : undefined;
}

/** The series of a folder's reviews, as its jobs are now (the list is only read). */
export function seriesOf(folder: Pick<FolderState, 'jobs'>): ReviewSeriesIndex {
  return cache.of(folder.jobs);
}

/**
 * `file:line` as a person reads it in this workspace: a path under `root` relative to it (the native
 * review names files by absolute path), any other as given.
 */
export function locationIn(root: string | undefined, f: Finding): string {
  if (!root || !f.file || !path.isAbsolute(f.file)) return findingLocation(f);
  const place = lexicalPlace(root, f.file);
  if (!('inside' in place)) return findingLocation(f);
  const rel = path.relative(path.resolve(root), place.abs);
  return rel ? findingLocation({ ...f, file: rel }) : findingLocation(f);
}

/** A mark in words. The core's label says "not reported again", never "fixed": that is all it knows. */
export function markText(mark: { label: string }): string {
  return t(mark.label);
}

/** "moved 12 lines down" for a still-open finding that moved; undefined when it did not. */
export function movedText(lineShift: number | undefined): string | undefined {
  if (!lineShift) return undefined;
  const n = Math.abs(lineShift);
  return lineShift > 0
    ? n === 1
      ? t('moved 1 line down')
      : t('moved {0} lines down', n)
    : n === 1
      ? t('moved 1 line up')
      : t('moved {0} lines up', n);
}
