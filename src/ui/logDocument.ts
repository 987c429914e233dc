// Read-only log documents that follow their file as it grows. One chokidar watcher serves every
// open log; a path is watched only while a document shows it.
import * as path from 'path';
import * as vscode from 'vscode';
import { watch, type FSWatcher } from 'chokidar';
import type { JobsModel } from '../core/model/model';
import { planJobLog, readPlanTail } from '../core/archive/jobLog';
import { rootOfStateDir } from '../core/io/reader';
import { formatBytes } from '../core/vocab/format';
import { LOG_SCHEME, parseJobUri } from './jobUris';
import type { JobLookup } from './jobLookup';
import { t } from './l10n';
import { Disposable, toDisposable } from '../core/vocab/lifecycle';

/** Logs can reach hundreds of MB: a document shows at most this much of the end. */
const MAX_DOCUMENT_BYTES = 4 * 1024 * 1024;
const FOLLOW_DEBOUNCE_MS = 150;

export class LogDocumentProvider extends Disposable implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly changed = this._register(new vscode.EventEmitter<vscode.Uri>());
  readonly onDidChange = this.changed.event;
  private watcher: FSWatcher | undefined;
  /** Watched file path → the document URIs that show it. */
  private readonly followed = new Map<string, Set<string>>();
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly model: JobsModel,
    private readonly jobs: JobLookup,
  ) {
    super();
    this._register(vscode.workspace.onDidCloseTextDocument((d) => this.unfollow(d.uri)));
    // Registered last, so disposed first: no timer fires and no watcher reports once disposal starts.
    this._register(toDisposable(() => this.stopFollowing()));
  }

  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    const ref = parseJobUri(this.jobs, uri);
    if (!ref) return t('This log is not part of a known Codex state directory.');
    // The one merged view (core/archive/jobLog.ts): the state dir's file, the archive's copy where it holds more.
    const job = this.jobs.find(ref.stateDir, ref.id);
    const file = path.join(ref.stateDir, 'jobs', `${ref.id}.log`);
    this.follow(file, uri);
    if (job?.archived) this.follow(job.archived.logPath, uri);
    const plan = await planJobLog(job ? this.model.logSource(job) : { file, root: rootOfStateDir(ref.stateDir) });
    if (!plan.exists) return t('The log {0} does not exist (yet). This document updates when it appears.', file);
    const tail = await readPlanTail(plan, MAX_DOCUMENT_BYTES);
    const omitted = tail.omitted;
    const header = omitted > 0 ? `${t('… {0} omitted; the full log is {1}', formatBytes(omitted), file)}\n` : '';
    return header + tail.text;
  }

  private follow(file: string, uri: vscode.Uri): void {
    const key = uri.toString();
    let uris = this.followed.get(file);
    if (!uris) {
      uris = new Set();
      this.followed.set(file, uris);
      this.ensureWatcher().add(file);
    }
    uris.add(key);
  }

  private unfollow(uri: vscode.Uri): void {
    if (uri.scheme !== LOG_SCHEME) return;
    for (const [file, uris] of this.followed) {
      if (uris.delete(uri.toString()) && uris.size === 0) {
        this.followed.delete(file);
        this.watcher?.unwatch(file);
      }
    }
  }

  private ensureWatcher(): FSWatcher {
    if (!this.watcher) {
      this.watcher = watch([], { ignoreInitial: true, persistent: true });
      const onChange = (file: string) => this.schedule(file);
      this.watcher.on('add', onChange).on('change', onChange).on('unlink', onChange);
      this.watcher.on('error', () => {
        // A vanished directory is normal here (the companion deletes logs); nothing to report.
      });
    }
    return this.watcher;
  }

  private schedule(file: string): void {
    if (this.timers.has(file)) return;
    this.timers.set(
      file,
      setTimeout(() => {
        this.timers.delete(file);
        for (const u of this.followed.get(file) ?? []) this.fire(vscode.Uri.parse(u));
      }, FOLLOW_DEBOUNCE_MS),
    );
  }

  private fire(uri: vscode.Uri): void {
    // Keep following the end for editors that were showing the end.
    const editors = vscode.window.visibleTextEditors.filter((e) => e.document.uri.toString() === uri.toString());
    const atEnd = editors.filter((e) => {
      const last = e.visibleRanges[e.visibleRanges.length - 1];
      return !last || last.end.line >= e.document.lineCount - 2;
    });
    this.changed.fire(uri);
    if (atEnd.length) {
      setTimeout(() => {
        for (const e of atEnd) {
          const end = new vscode.Position(e.document.lineCount, 0);
          e.revealRange(new vscode.Range(end, end), vscode.TextEditorRevealType.Default);
        }
      }, 50);
    }
  }

  /** How many files are being followed (for tests: proves closing a document stops watching). */
  get followedCount(): number {
    return this.followed.size;
  }

  private stopFollowing(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    void this.watcher?.close();
    this.watcher = undefined;
    this.followed.clear();
  }
}
