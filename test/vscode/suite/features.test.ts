// The review gate, error kinds, resume and findings in a real VS Code: the Problems panel, the
// finding rows under a review, Show Result, and the gate toggle through the stand-in companion.
import * as assert from 'assert';
import { spawnSync } from 'child_process';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import type { CodexJobsApi } from '../../../src/extension';
import type { JobsNode } from '../../../src/ui/jobsTree';
import { resolveWorkspaceRoot, stateDirName } from '../../../src/core/discovery/discovery';
import { FAKE_COMPANION, ProcessGroup } from '../../fixtures/spawn';
import { jobNodeOf, until } from './treeHelpers';

const EXT = 'codex-jobs.codex-jobs';
const SOURCE = 'Codex review';

function codexDiagnostics(): [vscode.Uri, vscode.Diagnostic[]][] {
  return vscode.languages
    .getDiagnostics()
    .map(([u, ds]) => [u, ds.filter((d) => d.source === SOURCE)] as [vscode.Uri, vscode.Diagnostic[]])
    .filter(([, ds]) => ds.length > 0);
}
const countDiagnostics = () => codexDiagnostics().reduce((n, [, ds]) => n + ds.length, 0);

function finding(over: Record<string, unknown>): Record<string, unknown> {
  return {
    severity: 'high',
    title: 'Missing empty-state guard',
    body: 'The change assumes data is always present.',
    file: 'src/app.js',
    line_start: 4,
    line_end: 6,
    confidence: 0.87,
    recommendation: 'Handle empty collections before indexing.',
    ...over,
  };
}

function reviewRecord(id: string, ws: string, completedAt: string, findings: unknown): Record<string, unknown> {
  const structured = {
    verdict: 'needs-attention',
    summary: 'Concerns surfaced.',
    findings,
    next_steps: ['Add an empty-state test.'],
  };
  return {
    id,
    kind: 'adversarial-review',
    kindLabel: 'adversarial-review',
    title: 'Codex Adversarial Review',
    workspaceRoot: ws,
    jobClass: 'review',
    summary: 'Adversarial Review working tree diff',
    status: 'completed',
    phase: 'done',
    pid: null,
    createdAt: completedAt,
    startedAt: completedAt,
    completedAt,
    updatedAt: completedAt,
    threadId: 'thr_1',
    result: {
      review: 'Adversarial Review',
      target: { mode: 'working-tree', label: 'working tree diff', explicit: false },
      result: structured,
      rawOutput: JSON.stringify(structured),
      parseError: null,
    },
    rendered: '# Codex Adversarial Review\n',
  };
}

suite('Review gate, errors and findings', function () {
  this.timeout(120_000);
  let a: CodexJobsApi;
  let root: string;
  let stateDir: string;
  let ws: string;
  const config = () => vscode.workspace.getConfiguration('codexJobs');
  const jobs: Record<string, unknown>[] = [];

  async function writeState(config: Record<string, unknown>): Promise<void> {
    await fs.mkdir(path.join(stateDir, 'jobs'), { recursive: true });
    for (const j of jobs) await fs.writeFile(path.join(stateDir, 'jobs', `${String(j.id)}.json`), JSON.stringify(j));
    const entries = jobs.map((j) => ({
      id: j.id,
      kind: j.kind,
      status: j.status,
      pid: j.pid,
      updatedAt: j.updatedAt,
      completedAt: j.completedAt,
    }));
    await fs.writeFile(path.join(stateDir, 'state.json'), JSON.stringify({ version: 1, config, jobs: entries }));
    await a.model.refresh();
  }

  const jobNode = (id: string) => jobNodeOf(a, id);

  suiteSetup(async () => {
    a = (await vscode.extensions.getExtension<CodexJobsApi>(EXT)!.activate()) as CodexJobsApi;
    ws = vscode.workspace.workspaceFolders![0].uri.fsPath;
    root = await fs.mkdtemp(path.join(process.env.CODEX_JOBS_TEST_TMP ?? os.tmpdir(), 'features-root-'));
    stateDir = path.join(root, await stateDirName(await resolveWorkspaceRoot(ws)));
    await fs.mkdir(path.join(ws, 'src'), { recursive: true });
    await fs.writeFile(
      path.join(ws, 'src', 'app.js'),
      Array.from({ length: 20 }, (_, i) => `line ${i + 1}`).join('\n'),
    );
    await config().update('stateRoots', [root], vscode.ConfigurationTarget.Global);
  });

  suiteTeardown(async () => {
    for (const k of ['stateRoots', 'findings.problems', 'companionPath', 'nodePath', 'pluginDataDir'])
      await config().update(k, undefined, vscode.ConfigurationTarget.Global);
    await fs.rm(root, { recursive: true, force: true });
    await fs.rm(path.join(ws, 'src'), { recursive: true, force: true });
  });

  test('findings reach the Problems panel and the review row; hostile ones are listed, not opened', async () => {
    jobs.push(
      reviewRecord('review-feat01-aaaaaa', ws, '2026-11-24T00:54:04.160Z', [
        finding({}),
        finding({ severity: 'medium', title: 'Beyond the end', line_start: 5000, line_end: 5002 }),
        finding({ severity: 'low', title: 'Low one', line_start: 1, line_end: 1, recommendation: '' }),
        finding({ severity: 'critical', title: 'Escapes', file: '../outside.txt' }),
        finding({ severity: 'high', title: 'Gone', file: 'src/missing.js' }),
        finding({ title: undefined, body: undefined }),
        'not an object',
      ]),
    );
    await writeState({ stopReviewGate: true });
    await until('diagnostics', () => countDiagnostics() === 3);
    const [[uri, diags]] = codexDiagnostics();
    assert.strictEqual(uri.fsPath, path.join(ws, 'src', 'app.js'));
    const byTitle = (t: string) => diags.find((d) => d.message.includes(t))!;
    assert.strictEqual(byTitle('Missing empty-state guard').severity, vscode.DiagnosticSeverity.Error);
    assert.strictEqual(byTitle('Missing empty-state guard').range.start.line, 3);
    assert.strictEqual(byTitle('Missing empty-state guard').range.end.line, 5);
    assert.match(byTitle('Missing empty-state guard').message, /Recommendation: Handle empty collections/);
    assert.strictEqual(byTitle('Missing empty-state guard').code, 'review-feat01-aaaaaa');
    assert.strictEqual(byTitle('Beyond the end').severity, vscode.DiagnosticSeverity.Warning);
    assert.strictEqual(byTitle('Low one').severity, vscode.DiagnosticSeverity.Information);

    // Row children: severity icon, file:line, title; openable ones carry the open command.
    const node = jobNode('review-feat01-aaaaaa');
    assert.ok(node, 'the review is in the tree');
    const item = a.jobsTree.getTreeItem(node);
    assert.strictEqual(item.collapsibleState, vscode.TreeItemCollapsibleState.Collapsed);
    assert.match(String(item.contextValue), /\bhasFindings\b/);
    const rows = (a.jobsTree.getChildren(node) as JobsNode[]).filter((n) => n.type === 'finding');
    const items = rows.map((r) => a.jobsTree.getTreeItem(r));
    assert.deepStrictEqual(
      items.map((i) => i.label),
      ['Missing empty-state guard', 'Beyond the end', 'Low one', 'Escapes', 'Gone', 'Some findings could not be read'],
    );
    assert.strictEqual(items[0].description, 'high · src/app.js:4-6');
    assert.strictEqual((items[0].iconPath as vscode.ThemeIcon).id, 'error');
    assert.strictEqual((items[1].iconPath as vscode.ThemeIcon).id, 'warning');
    assert.strictEqual((items[2].iconPath as vscode.ThemeIcon).id, 'info');
    assert.match(String(items[3].description), /outside the workspace/);
    assert.strictEqual(items[3].command, undefined, 'a ../ path is never opened');

    // Opening: at the line; past the end of the file is clamped; missing is refused.
    const opened = await vscode.commands.executeCommand<vscode.Uri>(
      items[0].command!.command,
      ...items[0].command!.arguments!,
    );
    assert.strictEqual(opened?.fsPath, path.join(ws, 'src', 'app.js'));
    assert.strictEqual(vscode.window.activeTextEditor?.selection.start.line, 3);
    await vscode.commands.executeCommand(items[1].command!.command, ...items[1].command!.arguments!);
    assert.strictEqual(vscode.window.activeTextEditor?.selection.start.line, 19);
    const missing = await vscode.commands.executeCommand(items[4].command!.command, ...items[4].command!.arguments!);
    assert.strictEqual(missing, undefined);

    // Show Result renders verdict, summary, findings linked to file:line, next steps; not raw JSON.
    const resultUri = await vscode.commands.executeCommand<vscode.Uri>(
      'codexJobs.showResult',
      node.type === 'job' ? node.job : undefined,
    );
    const text = (await vscode.workspace.openTextDocument(resultUri!)).getText();
    assert.match(text, /\*\*Verdict:\*\* needs-attention/);
    assert.match(text, /## Findings \(7\)/);
    assert.match(text, /\]\(file:\/\/[^)]*src\/app\.js#L4\)/);
    assert.match(text, /outside the workspace, not linked/);
    assert.match(text, /file not found/);
    assert.match(text, /## Next steps\n\n- Add an empty-state test\./);
    assert.doesNotMatch(text, /"line_start"/);
  });

  test('a newer review replaces the findings; 10,000 findings are capped; Clear and the setting remove them', async () => {
    const many = Array.from({ length: 10_000 }, (_, i) =>
      finding({ title: `f${i}`, line_start: (i % 20) + 1, line_end: (i % 20) + 1 }),
    );
    jobs.push(reviewRecord('review-feat02-bbbbbb', ws, '2026-11-25T00:00:00.000Z', many));
    const t0 = Date.now();
    await writeState({ stopReviewGate: true });
    await until('the newer review', () => countDiagnostics() === 1000);
    const ms = Date.now() - t0;
    assert.ok(
      !codexDiagnostics().some(([, ds]) =>
        ds.some((d) => d.message.includes('Missing empty-state guard') && d.code === 'review-feat01-aaaaaa'),
      ),
    );
    const node = jobNode('review-feat02-bbbbbb')!;
    const rows = (a.jobsTree.getChildren(node) as JobsNode[]).filter((n) => n.type === 'finding');
    assert.strictEqual(rows.length, 201);
    assert.strictEqual(a.jobsTree.getTreeItem(rows[200]).label, '9800 more finding(s) not shown');
    console.log(`10,000 findings: ${countDiagnostics()} diagnostics and ${rows.length} rows in ${ms} ms`);

    assert.strictEqual(await vscode.commands.executeCommand('codexJobs.clearFindings'), 1000);
    assert.strictEqual(countDiagnostics(), 0);
    await a.model.refresh();
    await a.findings.settled();
    assert.strictEqual(countDiagnostics(), 0, 'a cleared review stays cleared');

    jobs.push(reviewRecord('review-feat03-cccccc', ws, '2026-11-26T00:00:00.000Z', [finding({})]));
    await writeState({ stopReviewGate: true });
    await until('the third review', () => countDiagnostics() === 1);
    await config().update('findings.problems', false, vscode.ConfigurationTarget.Global);
    await until('the setting to clear them', () => countDiagnostics() === 0);
    await config().update('findings.problems', undefined, vscode.ConfigurationTarget.Global);
    await until('them to come back', () => countDiagnostics() === 1);
  });

  test('error kinds, blocks-stop, model and effort on the rows', async () => {
    const base = {
      kind: 'task',
      jobClass: 'task',
      title: 'Codex Task',
      workspaceRoot: ws,
      createdAt: '2026-11-24T10:00:00.000Z',
    };
    jobs.push(
      {
        ...base,
        id: 'task-feat04-dddddd',
        status: 'failed',
        phase: 'failed',
        pid: null,
        completedAt: '2026-11-24T10:05:00.000Z',
        updatedAt: '2026-11-24T10:05:00.000Z',
        threadId: 'thr_feat4',
        errorMessage:
          "You've hit your usage limit. Visit https://chatgpt.com/codex/settings/usage to purchase more credits or try again in 2 hours 5 minutes.",
        request: { prompt: 'do it', model: 'gpt-5.4', effort: 'xhigh', write: false, resumeLast: false },
      },
      {
        ...base,
        id: 'task-feat05-eeeeee',
        status: 'failed',
        phase: 'failed',
        pid: null,
        completedAt: '2026-11-24T10:06:00.000Z',
        updatedAt: '2026-11-24T10:06:00.000Z',
        errorMessage: 'Not logged in. Run `codex login`.',
      },
      {
        ...base,
        id: 'task-feat06-ffffff',
        status: 'running',
        phase: 'running',
        // A pid that ran and ended (one above pid_max is no pid at all: unverified, not gone).
        pid: spawnSync(process.execPath, ['-e', '']).pid,
        startedAt: '2026-11-24T10:00:01.000Z',
        updatedAt: '2026-11-24T10:07:00.000Z',
      },
    );
    await writeState({ stopReviewGate: true });
    await until('the tasks', () => !!jobNode('task-feat06-ffffff') && !!jobNode('task-feat05-eeeeee'));
    const limit = a.jobsTree.getTreeItem(jobNode('task-feat04-dddddd')!);
    assert.strictEqual((limit.iconPath as vscode.ThemeIcon).id, 'dashboard');
    assert.match(String(limit.description), /usage limit, retry at/);
    assert.match(String(limit.description), /gpt-5\.4 xhigh/);
    for (const w of ['err-usage-limit', 'resetKnown', 'rerunnable', 'resumable', 'hasThread'])
      assert.match(String(limit.contextValue), new RegExp(`\\b${w}\\b`));
    const auth = a.jobsTree.getTreeItem(jobNode('task-feat05-eeeeee')!);
    assert.strictEqual((auth.iconPath as vscode.ThemeIcon).id, 'account');
    assert.match(String(auth.contextValue), /\berr-auth\b/);
    const ghost = a.jobsTree.getTreeItem(jobNode('task-feat06-ffffff')!);
    assert.match(String(ghost.contextValue), /\bblocks-stop\b/);
    assert.match(String(ghost.description), /blocks stop/);
    assert.strictEqual(
      await vscode.commands.executeCommand('codexJobs.copyResumeCommand', jobNode('task-feat04-dddddd')),
      'codex resume thr_feat4',
    );
    assert.ok(a.reminders.count === 0);
    await vscode.commands.executeCommand('codexJobs.remindAtReset', jobNode('task-feat04-dddddd'));
    // The reset (2 h after 2026-11-24T10:05) is past: it reminds at once and schedules nothing.
    assert.strictEqual(a.reminders.count, 0);
  });

  test('a failure Codex Jobs recognises: its notification names the kind and offers the remedy first', async () => {
    const procs = new ProcessGroup();
    const id = 'task-feat07-gggggg';
    // Created before its worker started, as the companion does (a worker older than its job holds a reused pid).
    const created = new Date().toISOString();
    try {
      const pid = await procs.start(process.execPath, [FAKE_COMPANION, 'task-worker', '--cwd', ws, '--job-id', id], {
        waitReady: true,
      });
      const now = new Date().toISOString();
      const job: Record<string, unknown> = {
        id,
        kind: 'task',
        jobClass: 'task',
        title: 'Codex Task',
        workspaceRoot: ws,
        summary: 'Log in first',
        status: 'running',
        phase: 'running',
        pid,
        createdAt: created,
        startedAt: now,
        updatedAt: now,
      };
      jobs.push(job);
      await writeState({ stopReviewGate: true });
      await until('the job verified running', () => a.model.findJob(stateDir, id)?.status === 'running');
      const before = a.notifications.shown.length;
      const done = new Date().toISOString();
      Object.assign(job, {
        status: 'failed',
        phase: 'failed',
        pid: null,
        completedAt: done,
        updatedAt: done,
        errorMessage: 'Not logged in. Run `codex login`.',
      });
      await writeState({ stopReviewGate: true });
      await until('its notification', () => a.notifications.shown.length > before);
      const shown = a.notifications.shown.slice(before);
      assert.strictEqual(shown.length, 1, JSON.stringify(shown));
      assert.match(shown[0].text, /failed \(login required\): Not logged in/);
      assert.deepStrictEqual(shown[0].actions, ['Run codex login', 'Open Log']);
    } finally {
      await procs.stopAll();
    }
  });

  test('the gate per state dir, and Enable/Disable through the stand-in companion verified on disk', async () => {
    const folder = a.model.folders[0];
    assert.strictEqual(a.reviewGate.gateOf(folder).summary, 'on');
    const pluginData = await fs.mkdtemp(path.join(process.env.CODEX_JOBS_TEST_TMP ?? os.tmpdir(), 'gate-plugin-data-'));
    const ext = vscode.extensions.getExtension(EXT)!;
    await config().update(
      'companionPath',
      path.join(ext.extensionPath, 'test', 'fixtures', 'fake-plugin', 'scripts', 'codex-companion.mjs'),
      vscode.ConfigurationTarget.Global,
    );
    await config().update('nodePath', process.execPath, vscode.ConfigurationTarget.Global);
    await config().update('pluginDataDir', pluginData, vscode.ConfigurationTarget.Global);
    await config().update('stateRoots', [root, path.join(pluginData, 'state')], vscode.ConfigurationTarget.Global);
    const on = await vscode.commands.executeCommand<{ ok: boolean; stateDir: string; message: string }>(
      'codexJobs.enableReviewGate',
      { folder: ws },
    );
    assert.ok(on?.ok, on?.message);
    assert.ok(on.stateDir.startsWith(pluginData));
    const disk = JSON.parse(await fs.readFile(path.join(on.stateDir, 'state.json'), 'utf8'));
    assert.strictEqual(disk.config.stopReviewGate, true);
    await until('both state dirs', () => a.model.folders[0].snapshots.length === 2);
    assert.strictEqual(a.reviewGate.gateOf(a.model.folders[0]).disagree, false);
    const off = await vscode.commands.executeCommand<{ ok: boolean; message: string }>('codexJobs.disableReviewGate', {
      folder: ws,
    });
    assert.ok(off?.ok, off?.message);
    await a.model.refresh();
    const g = a.reviewGate.gateOf(a.model.folders[0]);
    assert.strictEqual(g.disagree, true);
    assert.match(g.warnings[0], /differs between state dirs/);
    await fs.rm(pluginData, { recursive: true, force: true });
  });
  test('Re-run and Resume Rescue Task through the stand-in companion: same request, the thread the companion names', async () => {
    const pluginData = await fs.mkdtemp(
      path.join(process.env.CODEX_JOBS_TEST_TMP ?? os.tmpdir(), 'resume-plugin-data-'),
    );
    const ext = vscode.extensions.getExtension(EXT)!;
    await config().update(
      'companionPath',
      path.join(ext.extensionPath, 'test', 'fixtures', 'fake-plugin', 'scripts', 'codex-companion.mjs'),
      vscode.ConfigurationTarget.Global,
    );
    await config().update('nodePath', process.execPath, vscode.ConfigurationTarget.Global);
    await config().update('pluginDataDir', pluginData, vscode.ConfigurationTarget.Global);
    await config().update('stateRoots', [root, path.join(pluginData, 'state')], vscode.ConfigurationTarget.Global);
    // The stand-in's jobs end by themselves after a moment.
    const before = process.env.FAKE_COMPANION_MODE;
    process.env.FAKE_COMPANION_MODE = 'exit-after-ms:300';
    try {
      type R = { ok: boolean; jobId?: string; stateDir?: string; message: string };
      const first = await vscode.commands.executeCommand<R>('codexJobs.startRescueTask', {
        folder: ws,
        prompt: 'tidy the parser',
        write: true,
        effort: 'xhigh',
      });
      assert.ok(first?.ok, first?.message);
      // The companion rewrites records in place: one read mid-write is empty or torn, so read again.
      const rec = async (id: string) => {
        for (let i = 0; ; i++) {
          try {
            return JSON.parse(await fs.readFile(path.join(first.stateDir!, 'jobs', `${id}.json`), 'utf8'));
          } catch (err) {
            if (i >= 100) throw err;
            await new Promise((r) => setTimeout(r, 50));
          }
        }
      };
      // Ended in its record and in the index: the companion picks the thread to resume from the index,
      // which the worker updates a moment after its record (later still on a loaded machine).
      const ended = async (id: string) => {
        try {
          const index = JSON.parse(await fs.readFile(path.join(first.stateDir!, 'state.json'), 'utf8'));
          const entry = index.jobs.find((e: { id: string }) => e.id === id);
          return (await rec(id)).status === 'completed' && entry?.status === 'completed';
        } catch {
          return false; // read mid-write: look again
        }
      };
      await until('the first task to end', () => ended(first.jobId!));
      await a.model.refresh();
      const job = a.model.findJob(first.stateDir!, first.jobId!)!;
      assert.ok(job, 'the model knows the task');
      const again = await vscode.commands.executeCommand<R>('codexJobs.rerunJob', job);
      assert.ok(again?.ok, again?.message);
      const r2 = await rec(again.jobId!);
      assert.deepStrictEqual(
        [r2.request.prompt, r2.request.write, r2.request.effort],
        ['tidy the parser', true, 'xhigh'],
      );
      await until('the re-run to end', () => ended(again.jobId!));
      await a.model.refresh();
      const resumed = await vscode.commands.executeCommand<R>(
        'codexJobs.resumeRescueTask',
        a.model.findJob(first.stateDir!, first.jobId!),
        { confirmed: true },
      );
      assert.ok(resumed?.ok, resumed?.message);
      // Registered at the worker's running write, which the companion's own queued write can overwrite
      // a moment later, even after the worker ended (its fourth race): the record may then never name
      // the thread again, but the index entry keeps it (its writes merge).
      const threadOf = async (id: string): Promise<string | undefined> => {
        const r = await rec(id);
        if (r.threadId) return r.threadId;
        try {
          const index = JSON.parse(await fs.readFile(path.join(first.stateDir!, 'state.json'), 'utf8'));
          return index.jobs.find((e: { id: string }) => e.id === id)?.threadId;
        } catch {
          return undefined; // read mid-write: look again
        }
      };
      const thread = await until(
        'the resumed job to name its thread',
        async () => !!(await threadOf(resumed.jobId!)),
      ).then(() => threadOf(resumed.jobId!));
      const r3 = await rec(resumed.jobId!);
      assert.strictEqual(r3.request.resumeLast, true);
      // The companion resumes the latest task thread: the re-run's, not the first job's.
      assert.strictEqual(thread, (await rec(again.jobId!)).threadId);
      // Ended: completed, or left queued by that race with its worker gone.
      const alive = (pid: unknown) => {
        try {
          return typeof pid === 'number' && process.kill(pid, 0);
        } catch {
          return false;
        }
      };
      await until('the resumed task to end', async () => {
        const r = await rec(resumed.jobId!);
        return r.status === 'completed' || (r.status === 'queued' && !alive(r.pid));
      });
    } finally {
      if (before === undefined) delete process.env.FAKE_COMPANION_MODE;
      else process.env.FAKE_COMPANION_MODE = before;
      await config().update('stateRoots', [root], vscode.ConfigurationTarget.Global);
      await fs.rm(pluginData, { recursive: true, force: true });
    }
  });
  test('a write that turns the gate off (a lost update writing the default config) is seen and dated', async () => {
    await writeState({ stopReviewGate: true });
    await until('the gate on', () =>
      a.reviewGate.gateOf(a.model.folders[0]).dirs.some((d) => d.stateDir === stateDir && d.value === 'on'),
    );
    await writeState({});
    await until('the gate off', () =>
      a.reviewGate.gateOf(a.model.folders[0]).dirs.some((d) => d.stateDir === stateDir && d.value === 'default'),
    );
    const g = a.reviewGate.gateOf(a.model.folders[0]);
    assert.ok(a.reviewGate.history.turnedOffAt(stateDir), 'dated');
    assert.ok(
      g.warnings.some((w) => /turned off by a write at .* \(not by Codex Jobs/.test(w)),
      g.warnings.join(' | '),
    );
  });
});
