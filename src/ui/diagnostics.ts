// The Problems panel: the findings of the newest completed review of each series (reviews of one
// target by one reviewer, see core/io/reviewSeries.ts) in each workspace folder, one diagnostic per
// finding on its file and lines; the native review's findings as much as the adversarial review's.
// A series' findings are replaced when a newer review of it completes (one that found nothing clears
// them), cleared by Codex: Clear Review Findings, off with `codexJobs.findings.problems`. Findings
// whose file is outside the workspace or missing are not put on any file (they stay listed under the
// review's row).
import * as vscode from 'vscode';
import type { FolderState, JobsModel } from '../core/model/model';
import type { Job } from '../core/vocab/types';
import { locateFinding, type Finding } from '../core/io/findings';
import { jobKey } from '../core/vocab/keys';
import { findingRoot } from './findingNodes';
import { reviewOf, seriesOf } from './findingSeries';
import { SECTION } from './settings';
import { SETTINGS } from './ids';
import { t } from './l10n';

/** A name (the Problems panel's filter matches it), not a sentence: not translated. */
export const DIAGNOSTIC_SOURCE = 'Codex review';
/** At most this many diagnostics per review: the Problems panel is for reading, not for 10,000 rows. */
export const MAX_DIAGNOSTICS = 1000;

const SEVERITY: Record<string, vscode.DiagnosticSeverity> = {
  critical: vscode.DiagnosticSeverity.Error,
  high: vscode.DiagnosticSeverity.Error,
  medium: vscode.DiagnosticSeverity.Warning,
  low: vscode.DiagnosticSeverity.Information,
  unknown: vscode.DiagnosticSeverity.Warning,
};

export function problemsEnabled(): boolean {
  return vscode.workspace.getConfiguration(SECTION).get<boolean>(SETTINGS.findingsProblems, true);
}

interface Shown {
  /** Which reviews (job key + completion of each) are shown for the folder. */
  version: string;
  /** Each shown review's own version, so Clear can remember them one by one. */
  reviews: string[];
  uris: vscode.Uri[];
  /** Counted for the log and tests. */
  placed: number;
  skipped: number;
}

interface Built {
  byFile: Map<string, vscode.Diagnostic[]>;
  placed: number;
  skipped: number;
}

export class FindingsDiagnostics implements vscode.Disposable {
  readonly collection = vscode.languages.createDiagnosticCollection('codex-review');
  private readonly shown = new Map<string, Shown>();
  /** Reviews cleared by the user: not shown again until a newer one completes. */
  private readonly cleared = new Set<string>();
  private readonly subs: { dispose(): void }[] = [];
  private pending: Promise<void> = Promise.resolve();
  private disposed = false;

  constructor(
    private readonly model: JobsModel,
    private readonly log: (m: string) => void = () => undefined,
  ) {
    this.subs.push(
      model.onDidChange(() => this.schedule()),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration(`${SECTION}.${SETTINGS.findingsProblems}`)) this.schedule();
      }),
    );
    this.schedule();
  }

  /** Resolves once every update asked so far has been applied (for tests). */
  settled(): Promise<void> {
    return this.pending;
  }

  /** What the panel shows per folder path. */
  summary(): Map<string, Omit<Shown, 'uris'>> {
    return new Map(
      [...this.shown].map(([k, v]) => [
        k,
        { version: v.version, reviews: v.reviews, placed: v.placed, skipped: v.skipped },
      ]),
    );
  }

  clear(): number {
    let n = 0;
    for (const [folder, s] of this.shown) {
      for (const v of s.reviews) this.cleared.add(v);
      for (const u of s.uris) {
        n += this.collection.get(u)?.length ?? 0;
        this.collection.delete(u);
      }
      this.shown.delete(folder);
    }
    return n;
  }

  private schedule(): void {
    // Updates run one after another: a slow one never lands after a newer one.
    this.pending = this.pending.then(() => this.update()).catch((err) => this.log(`findings: ${String(err)}`));
  }

  private async update(): Promise<void> {
    if (this.disposed) return;
    const enabled = problemsEnabled();
    const folders = new Set<string>();
    for (const f of this.model.folders) {
      folders.add(f.folder.path);
      // The newest review of each series, less those the user cleared.
      const jobs = (enabled ? seriesOf(f).newest : [])
        .map((job) => ({ job, version: `${jobKey(job)}\u0000${job.display.completedAt ?? ''}` }))
        .filter((r) => !this.cleared.has(r.version))
        .sort((a, b) => (a.version < b.version ? -1 : a.version > b.version ? 1 : 0));
      const version = jobs.map((r) => r.version).join('\u0001');
      const prev = this.shown.get(f.folder.path);
      if ((prev?.version ?? '') === version) continue;
      const next = jobs.length ? await this.buildAll(f, jobs) : undefined;
      if (this.disposed) return;
      // Replace this folder's diagnostics in one go.
      for (const u of prev?.uris ?? []) this.collection.delete(u);
      if (next) {
        for (const [uri, diags] of next.byFile) this.collection.set(vscode.Uri.parse(uri), diags);
        this.shown.set(f.folder.path, {
          version,
          reviews: jobs.map((r) => r.version),
          uris: [...next.byFile.keys()].map((u) => vscode.Uri.parse(u)),
          placed: next.placed,
          skipped: next.skipped,
        });
      } else this.shown.delete(f.folder.path);
    }
    for (const [folder, s] of this.shown) {
      if (folders.has(folder)) continue;
      for (const u of s.uris) this.collection.delete(u);
      this.shown.delete(folder);
    }
  }

  /** Every shown review's diagnostics, merged per file. */
  private async buildAll(folder: FolderState, reviews: { job: Job }[]): Promise<Built> {
    const all: Built = { byFile: new Map(), placed: 0, skipped: 0 };
    for (const { job } of reviews) {
      const one = await this.build(folder, job);
      for (const [uri, diags] of one.byFile) all.byFile.set(uri, [...(all.byFile.get(uri) ?? []), ...diags]);
      all.placed += one.placed;
      all.skipped += one.skipped;
      if (one.placed || one.skipped)
        this.log(
          `findings: ${one.placed} of ${job.id}'s findings in the Problems panel${one.skipped ? `, ${one.skipped} not placed (file outside the workspace, missing, or over the limit)` : ''}`,
        );
    }
    return all;
  }

  private async build(folder: FolderState, job: Job): Promise<Built> {
    // A native review whose text holds no findings block found nothing: it only clears its series.
    const r = reviewOf(job);
    const byFile = new Map<string, vscode.Diagnostic[]>();
    let placed = 0;
    let skipped = 0;
    if (!r) return { byFile, placed, skipped };
    if (r.warnings.length) this.log(`findings of ${job.id}: ${r.warnings.join(' ')}`);
    const root = findingRoot(folder);
    const where = new Map<string, Awaited<ReturnType<typeof locateFinding>>>();
    for (const f of r.findings) {
      if (placed >= MAX_DIAGNOSTICS) {
        skipped++;
        continue;
      }
      const key = f.file ?? '';
      let loc = where.get(key);
      if (!loc) {
        loc = await locateFinding(root, f.file);
        where.set(key, loc);
      }
      if (!loc.ok) {
        skipped++;
        continue;
      }
      const uri = vscode.Uri.file(loc.path).toString();
      const list = byFile.get(uri) ?? [];
      list.push(toDiagnostic(f, job));
      byFile.set(uri, list);
      placed++;
    }
    skipped += r.total - r.findings.length;
    return { byFile, placed, skipped };
  }

  dispose(): void {
    this.disposed = true;
    for (const s of this.subs) s.dispose();
    this.collection.dispose();
  }
}

export function toDiagnostic(f: Finding, job: Job): vscode.Diagnostic {
  const start = Math.max(0, (f.lineStart ?? 1) - 1);
  const end = Math.max(start, (f.lineEnd ?? f.lineStart ?? 1) - 1);
  // Lines past the end of the file are fine: the editor clamps the range to the document.
  const range = new vscode.Range(start, 0, end, 10_000);
  const parts = [`[${f.severity}] ${f.title}`];
  if (f.body && f.body !== f.title) parts.push(f.body);
  if (f.recommendation) parts.push(t('Recommendation: {0}', f.recommendation));
  const d = new vscode.Diagnostic(range, parts.join('\n'), SEVERITY[f.severity]);
  d.source = DIAGNOSTIC_SOURCE;
  // The job id, so a finding can be traced to its review (the recommendation is in the message).
  d.code = job.id;
  return d;
}
