// One job timeline panel: a webview showing the page script (dist/timeline.js) under a strict
// Content-Security-Policy, fed a new layout (core/timeline) after the model or the broker scan
// changed, coalesced and only while it is shown. What the page sends back is untrusted: each message
// is checked (core/timeline/messages.ts) and acts only on a job the panel drew.
import * as vscode from 'vscode';
import { randomBytes } from 'crypto';
import { Disposable } from '../../core/vocab/lifecycle';
import { jobKey } from '../../core/vocab/keys';
import type { Job } from '../../core/vocab/types';
import { layoutTimeline, logPhaseLine } from '../../core/timeline/layout';
import { LogPhaseCache } from '../../core/timeline/logPhaseRead';
import type { LogPhases } from '../../core/timeline/logPhases';
import type { TimelineLayout } from '../../core/timeline/timelineTypes';
import { timelinePage } from '../../core/timeline/page';
import { parsePageMessage, type HostMessage, type PageMessage, type TimelineScope } from '../../core/timeline/messages';
import type { CommandDeps } from '../commandDeps';
import { COMMANDS } from '../ids';
import { jobTooltip } from '../jobTreeItem';
import { t } from '../l10n';
import { plainTooltip } from './plainTooltip';

export const TIMELINE_VIEW_TYPE = 'codexJobs.timeline';

/** Changes closer together than this make one new picture. */
const COALESCE_MS = 150;

export class TimelinePanel extends Disposable {
  private readonly jobs = new Map<string, Job>();
  /** The phases the shown jobs' logs tell, read (async, bounded, cached) before each new picture. */
  private readonly phaseCache = new LogPhaseCache();
  private logPhases = new Map<string, LogPhases>();
  private timer: NodeJS.Timeout | undefined;
  /** Something changed while the page was hidden or not ready yet. */
  private stale = true;
  private ready = false;
  /** The page shows the picture made with its HTML and nothing changed since: its first `ready` needs none. */
  private fromHtml = false;
  /** How long the page took to its first picture, and of how many bars (for the output and the tests). */
  firstPaint: { bars: number; ms: number } | undefined;
  private readonly closed = new vscode.EventEmitter<void>();
  readonly onDidClose = this.closed.event;

  constructor(
    readonly panel: vscode.WebviewPanel,
    private readonly deps: CommandDeps,
    extensionUri: vscode.Uri,
    private scope: TimelineScope,
  ) {
    super();
    const dist = vscode.Uri.joinPath(extensionUri, 'dist');
    panel.webview.options = { enableScripts: true, localResourceRoots: [dist] };
    // The first picture goes in the page itself: it draws before it could ask for one.
    panel.webview.html = timelinePage({
      nonce: randomBytes(18).toString('base64'),
      title: t('Codex Job Timeline'),
      webview: {
        cspSource: panel.webview.cspSource,
        scriptUri: panel.webview.asWebviewUri(vscode.Uri.joinPath(dist, 'timeline.js')).toString(),
        layout: this.layoutNow(),
      },
    });
    this.stale = false;
    this.fromHtml = true;
    this.setTitle();
    this._register(this.closed);
    this._register(panel.webview.onDidReceiveMessage((m: unknown) => this.onMessage(m)));
    this._register(deps.model.onDidChange(() => this.schedule()));
    this._register(deps.brokers.onDidChange(() => this.schedule()));
    this._register(deps.others.onDidChange(() => this.scope === 'all' && this.schedule()));
    this._register(panel.onDidChangeViewState(() => panel.visible && this.stale && this.schedule()));
    this._register(panel.onDidDispose(() => this.dispose()));
    this._register({ dispose: () => clearTimeout(this.timer) });
    this._register({ dispose: () => this.closed.fire() });
    // The broker lanes need a scan; one is made when none was.
    if (!deps.brokers.scan) deps.refresh.request('brokers', 'job timeline shown');
  }

  private setTitle(): void {
    this.panel.title = this.scope === 'all' ? t('Job Timeline: All Workspaces') : t('Job Timeline');
  }

  /** A new picture soon: once per burst of changes, and only for a page that is shown. */
  schedule(): void {
    this.stale = true;
    if (!this.ready || !this.panel.visible || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.post();
    }, COALESCE_MS);
  }

  private currentJobs(): Job[] {
    const own = this.deps.model.allJobs();
    if (this.scope !== 'all') return own;
    const seen = new Set(own.map(jobKey));
    return [...own, ...this.deps.others.allJobs().filter((j) => !seen.has(jobKey(j)))];
  }

  private scopeName(): string {
    if (this.scope === 'all') return t('All Workspaces');
    const names = this.deps.model.folders.map((f) => f.folder.name);
    return names.join(', ');
  }

  /** The picture of now; the jobs it draws are the ones the page may name. */
  private layoutNow(): TimelineLayout {
    const jobs = this.currentJobs();
    this.jobs.clear();
    for (const j of jobs) this.jobs.set(jobKey(j), j);
    const scan = this.deps.brokers.scan;
    return layoutTimeline({
      jobs,
      brokers: scan && { entries: scan.entries, scannedAtMs: scan.scannedAtMs },
      nowMs: Date.now(),
      scope: this.scopeName(),
      t,
      logPhases: this.logPhases,
    });
  }

  private async post(): Promise<void> {
    if (this.isDisposed) return;
    this.stale = false;
    this.fromHtml = false;
    // Off the hot path: the reads are async and made once per coalesced burst of changes.
    this.logPhases = await this.phaseCache.phasesOf(this.currentJobs());
    if (this.isDisposed) return;
    await this.send({ type: 'layout', layout: this.layoutNow(), scope: this.scope });
  }

  /** The job's tooltip, and what its log told of its turns. */
  private hoverText(job: Job, key: string): string {
    const log = logPhaseLine(this.logPhases.get(key), t);
    return plainTooltip(jobTooltip(job)) + (log ? `\n${log}` : '');
  }

  private send(m: HostMessage): Thenable<boolean> {
    return this.panel.webview.postMessage(m);
  }

  private onMessage(raw: unknown): void {
    const m = parsePageMessage(raw);
    // Anything else is not from our page as we wrote it: dropped without a word to it.
    if (m) void this.handle(m).catch((err: unknown) => this.deps.output.warn(`timeline: ${String(err)}`));
  }

  private async handle(m: PageMessage): Promise<void> {
    switch (m.type) {
      case 'ready':
        this.ready = true;
        if (this.scope === 'all') void this.deps.others.ensure().then(() => this.schedule());
        // A page shown again after it was hidden is made anew from the first HTML: it needs today's picture.
        if (this.fromHtml && !this.stale) {
          this.fromHtml = false;
          return;
        }
        return this.post();
      case 'painted':
        this.firstPaint ??= { bars: m.bars, ms: m.ms };
        this.deps.output.info(
          `timeline: first picture (${m.bars} bars) drawn ${m.ms.toFixed(0)} ms after the page began`,
        );
        return;
      case 'scope':
        this.scope = m.scope;
        this.setTitle();
        if (m.scope === 'all') await this.deps.others.ensure();
        return this.post();
    }
    const job = this.jobs.get(m.key);
    if (!job) return;
    // Re-read from the model: the page's picture may be a moment old.
    const fresh = this.deps.model.findJob(job.stateDir, job.id) ?? job;
    if (m.type === 'select') await this.deps.reveal(fresh);
    else if (m.type === 'hover') await this.send({ type: 'tooltip', key: m.key, text: this.hoverText(fresh, m.key) });
    else if (m.type === 'command') await vscode.commands.executeCommand(COMMANDS[m.command], fresh);
  }
}
