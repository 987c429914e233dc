// The Jobs view, status bar and commands in a real VS Code, against a real state dir and real processes.
import * as assert from 'assert';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import type { CodexJobsApi } from '../../../src/extension';
import type { JobsNode } from '../../../src/ui/jobsTree';
import type { Job } from '../../../src/core/vocab/types';
import { resolveWorkspaceRoot, stateDirName } from '../../../src/core/discovery/discovery';
import { BAD_RECORD_ID, EXPECTED, SCENARIO_IDS, writeScenario, type ScenarioKey } from '../../fixtures/scenario';
import { ProcessGroup, startScenarioProcesses } from '../../fixtures/spawn';

const EXTENSION_ID = 'codex-jobs.codex-jobs';

async function api(): Promise<CodexJobsApi> {
  const ext = vscode.extensions.getExtension<CodexJobsApi>(EXTENSION_ID);
  assert.ok(ext, `extension ${EXTENSION_ID} is installed`);
  return ext.isActive ? ext.exports : await ext.activate();
}

/** Waits until the model satisfies `ok`, re-checking on every model change. */
async function until(a: CodexJobsApi, ok: () => boolean, what: string, ms = 15_000): Promise<void> {
  if (ok()) return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      sub.dispose();
      reject(new Error(`timed out waiting for ${what}`));
    }, ms);
    const sub = a.model.onDidChange(() => {
      if (ok()) {
        clearTimeout(timer);
        sub.dispose();
        resolve();
      }
    });
  });
}

function tree(a: CodexJobsApi, node?: JobsNode): JobsNode[] {
  return a.jobsTree.getChildren(node) as JobsNode[];
}

function allJobNodes(a: CodexJobsApi): { node: JobsNode; item: vscode.TreeItem; job: Job }[] {
  const out: { node: JobsNode; item: vscode.TreeItem; job: Job }[] = [];
  const walk = (n?: JobsNode) => {
    for (const c of tree(a, n)) {
      if (c.type === 'job')
        out.push({ node: c, item: a.jobsTree.resolveTreeItem(a.jobsTree.getTreeItem(c), c), job: c.job });
      else if (c.type === 'folder' || c.type === 'group') walk(c);
    }
  };
  walk();
  return out;
}

suite('Jobs view', function () {
  this.timeout(60_000);
  const procs = new ProcessGroup();
  let root: string;
  let stateDir: string;
  let a: CodexJobsApi;

  suiteSetup(async () => {
    a = await api();
    const ws = vscode.workspace.workspaceFolders?.[0];
    assert.ok(ws, 'a workspace folder is open');
    root = await fs.mkdtemp(path.join(process.env.CODEX_JOBS_TEST_TMP ?? os.tmpdir(), 'state-root-'));
    stateDir = path.join(root, await stateDirName(await resolveWorkspaceRoot(ws.uri.fsPath)));
    const pids = await startScenarioProcesses(procs, ws.uri.fsPath, SCENARIO_IDS);
    // Dated 30 s back: running jobs started 89.7 s ago, far from the 60 s where "59s" becomes "1m 00s".
    await writeScenario(stateDir, ws.uri.fsPath, pids, Date.now() - 30_000);
    await vscode.workspace
      .getConfiguration('codexJobs')
      .update('stateRoots', [root], vscode.ConfigurationTarget.Global);
    await until(a, () => a.model.allJobs().length >= 12, 'the scenario jobs to load');
  });

  suiteTeardown(async () => {
    await vscode.commands.executeCommand('codexJobs.clearFilter');
    await vscode.workspace
      .getConfiguration('codexJobs')
      .update('stateRoots', undefined, vscode.ConfigurationTarget.Global);
    await procs.stopAll();
    await fs.rm(root, { recursive: true, force: true });
  });

  test('every derived status and flag reaches the tree', () => {
    const nodes = allJobNodes(a);
    for (const key of Object.keys(SCENARIO_IDS) as ScenarioKey[]) {
      const found = nodes.find((n) => n.job.id === SCENARIO_IDS[key]);
      assert.ok(found, `${key} (${SCENARIO_IDS[key]}) is in the tree`);
      assert.strictEqual(found.job.status, EXPECTED[key].status, `${key}: status`);
      for (const f of EXPECTED[key].flags) assert.ok(found.job.flags.includes(f as never), `${key}: flag ${f}`);
      const words = String(found.item.contextValue).split(' ');
      assert.ok(
        words.includes('job') && words.includes(EXPECTED[key].status),
        `${key}: contextValue ${found.item.contextValue}`,
      );
    }
  });

  test('groups: needs attention, running, recent', () => {
    const groups = tree(a).filter((n) => n.type === 'group');
    const labels = groups.map((g) => a.jobsTree.getTreeItem(g).label);
    assert.deepStrictEqual(labels, ['Needs attention', 'Running', 'Recent']);
    const ids = (label: string) => {
      const g = groups.find((x) => a.jobsTree.getTreeItem(x).label === label)!;
      return tree(a, g)
        .map((n) => (n.type === 'job' ? n.job.id : ''))
        .sort();
    };
    const I = SCENARIO_IDS;
    assert.deepStrictEqual(
      ids('Needs attention'),
      [I.pidReused, I.recordMissing, I.stale, I.stalled, I.unindexed].sort(),
    );
    assert.deepStrictEqual(ids('Running'), [I.queued, I.running, I.unverified].sort());
    assert.deepStrictEqual(ids('Recent'), [I.cancelled, I.completed, I.disagreement, I.failed].sort());
  });

  test('job items: icon per status, label, description and tooltip', () => {
    const byId = new Map(allJobNodes(a).map((n) => [n.job.id, n]));
    const icon = (id: string) => (byId.get(id)!.item.iconPath as vscode.ThemeIcon).id;
    assert.strictEqual(icon(SCENARIO_IDS.running), 'sync~spin');
    assert.strictEqual(icon(SCENARIO_IDS.stale), 'debug-disconnect');
    assert.strictEqual(icon(SCENARIO_IDS.pidReused), 'arrow-swap');
    assert.strictEqual(icon(SCENARIO_IDS.completed), 'pass');
    assert.strictEqual(icon(SCENARIO_IDS.failed), 'dashboard', 'its error ("rate limited") is a usage limit');
    const run = byId.get(SCENARIO_IDS.running)!;
    assert.strictEqual(run.item.label, `rescue: scenario task ${SCENARIO_IDS.running}`);
    assert.match(String(run.item.description), /^running · (just now|\d+ min ago) · (\d+m \d\d|\d+)s$/);
    // The id must stay the same as time passes (a temp dir name may contain "3m", so match exactly).
    assert.strictEqual(run.item.id, `job:${run.job.stateDir}:${run.job.id}`, 'elapsed time never in the id');
    const tip = (run.item.tooltip as vscode.MarkdownString).value;
    assert.match(tip, /task-worker/);
    assert.match(tip, new RegExp(String(run.job.display.pid)));
    assert.match(tip, /\*\*Session:\*\* `ae66e01d-afa4-452e-9b61-b0d0412ac382`/);
    assert.match(
      tip,
      /\*\*Started:\*\* \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \((just now|\d+ min ago)\)/,
      'local time, relative beside',
    );
    const reused = (byId.get(SCENARIO_IDS.pidReused)!.item.tooltip as vscode.MarkdownString).value;
    assert.match(reused, /sleep 600/, 'the tooltip says what the pid really is');
    // Children: the latest progress lines of the log.
    const lines = tree(a, run.node).map((n) => a.jobsTree.getTreeItem(n).label);
    assert.ok(lines.includes('Running command: npm test'), `progress lines: ${lines.join(' | ')}`);
  });

  test("a failed job's last child is its error line, with the error icon", () => {
    const failed = allJobNodes(a).find((n) => n.job.id === SCENARIO_IDS.failed)!;
    assert.notStrictEqual(failed.item.collapsibleState, vscode.TreeItemCollapsibleState.None, 'it can be expanded');
    const children = tree(a, failed.node);
    const last = a.jobsTree.getTreeItem(children[children.length - 1]);
    assert.strictEqual(last.label, 'Error: turn/start failed: rate limited');
    assert.strictEqual((last.iconPath as vscode.ThemeIcon).id, 'error');
    // A job that did not fail has no such line.
    const run = allJobNodes(a).find((n) => n.job.id === SCENARIO_IDS.running)!;
    assert.ok(!tree(a, run.node).some((n) => String(a.jobsTree.getTreeItem(n).label).startsWith('Error: ')));
  });

  test('every status: label says what, description says status · when · duration or error', () => {
    // After those: "blocks stop" where state.json still says running with the process gone (the
    // companion's Stop hook nags about it), and a failure's error kind.
    const byId = new Map(allJobNodes(a).map((n) => [n.job.id, n]));
    const I = SCENARIO_IDS;
    const recent = '(just now|\\d+ min ago)';
    const earlier = '(today|yesterday) \\d\\d:\\d\\d';
    const rows: [string, string, string][] = [
      [I.running, `rescue: scenario task ${I.running}`, `^running · ${recent} · (\\d+m \\d\\d|\\d+)s$`],
      [I.queued, 'rescue: scenario queued', `^queued · ${recent} · (\\d+m \\d\\d|\\d+)s$`],
      [I.stalled, `rescue: scenario task ${I.stalled}`, `^stalled · ${recent} · (\\d+m \\d\\d|\\d+)s$`],
      [I.stale, `rescue: scenario task ${I.stale}`, `^stale · ${recent} · blocks stop$`],
      [I.pidReused, 'review: working tree diff', `^pid reused · ${recent} · blocks stop$`],
      [I.unverified, `rescue: scenario task ${I.unverified}`, `^unverified · ${recent} · (\\d+m \\d\\d|\\d+)s$`],
      [I.completed, `rescue: scenario task ${I.completed}`, `^completed · ${earlier} · 1m 39s$`],
      [I.failed, 'review: working tree diff', `^failed · ${earlier} · turn/start failed: rate limited · usage limit$`],
      [I.cancelled, 'adversarial: working tree diff', `^cancelled · ${earlier} · 1m 39s$`],
      [I.unindexed, `rescue: scenario task ${I.unindexed}`, `^completed · ${earlier} · 1m 39s · unindexed$`],
      [
        I.recordMissing,
        `rescue: scenario task ${I.recordMissing}`,
        `^stale · ${recent} · record missing · blocks stop$`,
      ],
    ];
    const seen: string[] = [];
    for (const [id, label, description] of rows) {
      const n = byId.get(id)!;
      assert.strictEqual(n.item.label, label, id);
      assert.match(String(n.item.description), new RegExp(description), id);
      const ax = n.item.accessibilityInformation;
      assert.ok(ax, `${id}: accessibility information`);
      const word = String(n.item.description).split(' · ')[0];
      assert.ok(ax.label.startsWith(`${word} `), `${id}: accessibility starts with the status: ${ax.label}`);
      assert.ok(ax.label.includes(label.split(': ')[1]), `${id}: accessibility says what: ${ax.label}`);
      assert.match(ax.label, /started /, `${id}: accessibility says when: ${ax.label}`);
      seen.push(`${n.job.status}\t${n.item.label}\t${n.item.description}`);
    }
    // The item texts per status, for the report.
    console.log(seen.join('\n'));
  });

  test('inline actions only where they do something: context words per status', () => {
    const byId = new Map(allJobNodes(a).map((n) => [n.job.id, String(n.item.contextValue).split(' ')]));
    const I = SCENARIO_IDS;
    for (const id of [I.running, I.queued, I.stalled]) assert.ok(byId.get(id)!.includes('cancellable'), id);
    for (const id of [I.stale, I.pidReused, I.unverified, I.completed, I.failed, I.cancelled])
      assert.ok(!byId.get(id)!.includes('cancellable'), `${id} is not cancellable`);
    for (const id of [I.stale, I.pidReused]) assert.ok(byId.get(id)!.includes('markable'), id);
    assert.ok(!byId.get(I.running)!.includes('markable'));
    assert.ok(byId.get(I.completed)!.includes('hasResult') && byId.get(I.completed)!.includes('ended'));
    assert.ok(!byId.get(I.failed)!.includes('hasResult'), 'no result to show for the failed review');
  });

  test('the view badge counts the Running group; its tooltip says it in the status bar words', () => {
    assert.deepStrictEqual(a.jobsView.badge, { value: 3, tooltip: '2 running, 1 queued, 5 need attention' });
  });

  test('the view tick re-renders the rows of live jobs, and only those, with no file change', () => {
    const nodes = allJobNodes(a);
    const fired: unknown[] = [];
    const sub = a.jobsTree.onDidChangeTreeData((e) => fired.push(e));
    a.jobsTree.tick();
    sub.dispose();
    const rows = (fired[0] ?? []) as JobsNode[];
    const ids = rows.map((n) => (n.type === 'job' ? n.job.id : '')).sort();
    const I = SCENARIO_IDS;
    assert.ok(ids.includes(I.running) && ids.includes(I.queued), `ticked rows: ${ids.join(', ')}`);
    assert.ok(!ids.includes(I.completed) && !ids.includes(I.failed), 'finished rows are left alone');
    // The row read again says a later time: nothing was cached from the first read.
    const run = nodes.find((n) => n.job.id === I.running)!;
    assert.strictEqual(String(a.jobsTree.getTreeItem(run.node).description), String(run.item.description));
  });

  test('a queued job is announced as queued, not running', () => {
    const queued = allJobNodes(a).find((n) => n.job.id === SCENARIO_IDS.queued)!;
    const label = queued.item.accessibilityInformation?.label ?? '';
    assert.ok(!/running for/.test(label), label);
  });

  test('the filter narrows the tree, is remembered, and Find Job reveals a job it hid', async () => {
    await vscode.commands.executeCommand('codexJobs.filterJobs', { groups: ['running'] });
    assert.deepStrictEqual(
      tree(a).map((n) => (n.type === 'group' ? n.group : n.type)),
      ['running', 'warnings'],
    );
    assert.deepStrictEqual(a.filter.current.groups, ['running']);
    // What VS Code may hand a title-bar command is not a filter: the picker opens, the filter stays.
    const opened = vscode.commands.executeCommand('codexJobs.filterJobsActive', { $treeViewId: 'codexJobs.jobs' });
    await new Promise((r) => setTimeout(r, 300));
    await vscode.commands.executeCommand('workbench.action.closeQuickOpen');
    await opened;
    assert.deepStrictEqual(a.filter.current.groups, ['running'], 'a click with a context object keeps the filter');
    await vscode.commands.executeCommand('codexJobs.filterJobs', { kinds: ['review'] });
    const reviews = allJobNodes(a).map((n) => n.job.id);
    assert.ok(reviews.length > 0 && reviews.every((id) => id.startsWith('review-')), reviews.join(', '));
    // Reveal through the view: the filter hides the completed task, so it is cleared first.
    await vscode.commands.executeCommand('codexJobs.jobs.focus');
    const job = a.model.findJob(stateDir, SCENARIO_IDS.completed)!;
    assert.ok(await a.jobsView.reveal(job), 'revealed');
    assert.strictEqual(a.filter.current.kinds.length, 0, 'the filter was cleared to show it');
    const sel = a.jobsView.view.selection as JobsNode[];
    assert.ok(
      sel.some((n) => n.type === 'job' && n.job.id === SCENARIO_IDS.completed),
      'selected',
    );
  });

  test('group by session, date or none: the tree under each, with stable group ids and accessible names', async () => {
    const I = SCENARIO_IDS;
    const jobCount = a.model.folders[0].jobs.length;
    const groupsOf = () => tree(a).filter((n) => n.type === 'group');
    const jobsIn = (g: JobsNode) => tree(a, g).map((n) => (n.type === 'job' ? n.job.id : n.type));
    try {
      // Session: every scenario job was started by the same Claude session.
      await vscode.commands.executeCommand('codexJobs.filterJobs', { groupBy: 'session' });
      assert.deepStrictEqual(
        tree(a).map((n) => n.type),
        ['group', 'warnings'],
        'one session, then the warnings',
      );
      const [session] = groupsOf();
      const item = a.jobsTree.getTreeItem(session);
      assert.match(String(item.label), /^Session ae66e01d · started (today|yesterday) \d\d:\d\d$/);
      assert.strictEqual(item.accessibilityInformation?.label, `${item.label}: ${jobCount} jobs`);
      assert.strictEqual(item.description, String(jobCount));
      assert.strictEqual(jobsIn(session).length, jobCount);
      // Its id names the session, never a time or a count: the same after a refresh (expansion kept).
      const id = item.id;
      assert.ok(id?.endsWith(':session:id:ae66e01d-afa4-452e-9b61-b0d0412ac382'), id);
      await vscode.commands.executeCommand('codexJobs.refresh');
      assert.strictEqual(a.jobsTree.getTreeItem(groupsOf()[0]).id, id);
      // Newest first inside the group: by when each job started (or was queued).
      const starts = tree(a, session).map((n) =>
        n.type === 'job' ? Date.parse(n.job.display.startedAt ?? n.job.display.createdAt ?? '') : NaN,
      );
      assert.deepStrictEqual(
        starts,
        [...starts].sort((x, y) => y - x),
      );

      // Date: the running jobs started today (90 s ago), the finished ones an hour earlier.
      await vscode.commands.executeCommand('codexJobs.filterJobs', { groupBy: 'date' });
      const dates = groupsOf();
      const labels = dates.map((g) => String(a.jobsTree.getTreeItem(g).label));
      assert.ok(labels.length >= 1 && labels.every((l) => l === 'Today' || l === 'Yesterday'), labels.join(', '));
      assert.strictEqual(
        dates.map((g) => jobsIn(g).length).reduce((x, y) => x + y, 0),
        jobCount,
      );
      const running = dates.find((g) => jobsIn(g).includes(I.running))!;
      assert.ok(a.jobsTree.getTreeItem(running).id?.endsWith(':date:today') || new Date().getHours() === 0);
      for (const g of dates) {
        const n = jobsIn(g).length;
        assert.strictEqual(
          a.jobsTree.getTreeItem(g).accessibilityInformation?.label,
          `${a.jobsTree.getTreeItem(g).label}: ${n === 1 ? '1 job' : `${n} jobs`}`,
        );
      }

      // None: the jobs right under the view, A to Z when sorted by name; the badge still counts by status.
      await vscode.commands.executeCommand('codexJobs.filterJobs', { groupBy: 'none', sortBy: 'name' });
      const flat = tree(a);
      assert.deepStrictEqual(
        flat.map((n) => n.type),
        [...Array(jobCount).fill('job'), 'warnings'],
      );
      const names = flat.filter((n) => n.type === 'job').map((n) => String(a.jobsTree.getTreeItem(n).label));
      assert.deepStrictEqual(
        names,
        [...names].sort((x, y) => x.localeCompare(y, undefined, { sensitivity: 'base', numeric: true })),
      );
      assert.strictEqual(a.jobsTree.getParent(flat[0]), undefined, 'a top-level row in a one-folder window');
      assert.deepStrictEqual(a.jobsView.badge, { value: 3, tooltip: '2 running, 1 queued, 5 need attention' });
      assert.strictEqual(a.jobsView.view.message, undefined, 'grouping and sorting hide nothing: no filter message');
      assert.strictEqual(a.filter.current.sortBy, 'name', 'remembered');

      // Status, sorted by status: the groups of before.
      await vscode.commands.executeCommand('codexJobs.filterJobs', { groupBy: 'status', sortBy: 'status' });
      assert.deepStrictEqual(
        groupsOf().map((g) => (g.type === 'group' ? g.group : '')),
        ['attention', 'running', 'recent'],
      );
    } finally {
      await vscode.commands.executeCommand('codexJobs.filterJobs', { groupBy: 'status', sortBy: 'newest' });
    }
  });

  test('Hide Finished hides the Recent group from the view (nothing deleted) and says so', async () => {
    const total = a.model.folders[0].jobs.length;
    try {
      await vscode.commands.executeCommand('codexJobs.filterJobs', { hideFinished: true });
      assert.deepStrictEqual(
        tree(a).map((n) => (n.type === 'group' ? n.group : n.type)),
        ['attention', 'running', 'warnings'],
      );
      const shown = allJobNodes(a).length;
      assert.strictEqual(shown, total - 4, 'completed, failed, cancelled and the finished disagreement are hidden');
      assert.strictEqual(a.jobsView.view.message, `Filtered (finished hidden): ${shown} of ${total} jobs shown.`);
      assert.strictEqual(a.model.folders[0].jobs.length, total, 'nothing deleted');
      // Under another grouping too: the date groups hold only what needs attention or runs.
      await vscode.commands.executeCommand('codexJobs.filterJobs', { hideFinished: true, groupBy: 'date' });
      assert.strictEqual(allJobNodes(a).length, shown);
      assert.ok(!allJobNodes(a).some((n) => n.job.id === SCENARIO_IDS.completed));
    } finally {
      await vscode.commands.executeCommand('codexJobs.filterJobs', { groupBy: 'status', sortBy: 'newest' });
    }
    assert.strictEqual(allJobNodes(a).length, total);
  });

  test('the Filter picker: "Group by" opens a single choice and comes back; nothing applies before OK', async () => {
    const pause = () => new Promise((r) => setTimeout(r, 500));
    const run = (id: string, times = 1) =>
      (async () => {
        for (let i = 0; i < times; i++) await vscode.commands.executeCommand(id);
      })();
    try {
      const picked = vscode.commands.executeCommand('codexJobs.filterJobs');
      await pause();
      // Items: 3 status groups, 3 kinds, latest session, Hide finished, Group by, Sort by.
      await run('quickInput.first');
      await run('quickInput.next', 8);
      await run('workbench.action.quickPickManyToggle');
      await pause();
      // The single choice opens on the current grouping (Status); the next one is Session.
      await run('quickInput.next');
      await run('quickInput.accept');
      await pause();
      assert.strictEqual(a.filter.current.groupBy, 'status', 'not applied before the filter picker is accepted');
      // Back in the filter picker: check Hide finished, then OK.
      await run('quickInput.first');
      await run('quickInput.next', 7);
      await run('workbench.action.quickPickManyToggle');
      await run('quickInput.accept');
      await picked;
      assert.strictEqual(a.filter.current.groupBy, 'session');
      assert.strictEqual(a.filter.current.hideFinished, true);
      assert.deepStrictEqual(a.filter.current.groups, []);
      assert.ok(tree(a).some((n) => n.type === 'group' && n.group.startsWith('session:')));
    } finally {
      await vscode.commands.executeCommand('workbench.action.closeQuickOpen');
      await vscode.commands.executeCommand('codexJobs.filterJobs', { groupBy: 'status', sortBy: 'newest' });
    }
  });

  test('Find Job reveals a job in its group under another grouping, through the group row', async () => {
    try {
      // Grouped by session and filtered to reviews: the completed task is hidden, the grouping stays.
      await vscode.commands.executeCommand('codexJobs.filterJobs', { groupBy: 'session', kinds: ['review'] });
      await vscode.commands.executeCommand('codexJobs.jobs.focus');
      const job = a.model.findJob(stateDir, SCENARIO_IDS.completed)!;
      assert.ok(await a.jobsView.reveal(job), 'revealed');
      assert.strictEqual(a.filter.current.kinds.length, 0, 'the filter was cleared to show it');
      assert.strictEqual(a.filter.current.groupBy, 'session', 'the grouping stays (it hides nothing)');
      const sel = a.jobsView.view.selection as JobsNode[];
      const node = sel.find((n) => n.type === 'job' && n.job.id === SCENARIO_IDS.completed);
      assert.ok(node, 'selected');
      const parent = a.jobsTree.getParent(node);
      assert.ok(parent?.type === 'group' && parent.group.startsWith('session:id:'), 'in its session group');
      // Not grouped: the row is at the top.
      await vscode.commands.executeCommand('codexJobs.filterJobs', { groupBy: 'none' });
      const failed = a.model.findJob(stateDir, SCENARIO_IDS.failed)!;
      assert.ok(await a.jobsView.reveal(failed), 'revealed in the flat list');
      const flatNode = a.jobsTree.nodeForJob(failed)!;
      assert.strictEqual(a.jobsTree.getParent(flatNode), undefined);
    } finally {
      await vscode.commands.executeCommand('codexJobs.filterJobs', { groupBy: 'status', sortBy: 'newest' });
    }
  });

  test('a job that moves to another group under the grouping re-renders the tree', async () => {
    allJobNodes(a);
    const job = a.model.allJobs().find((j) => j.id === SCENARIO_IDS.running)!;
    const rec = JSON.parse(await fs.readFile(job.recordPath, 'utf8')) as Record<string, unknown>;
    const moved = '0f0f0f0f-1111-4222-8333-444455556666';
    const events: (JobsNode | JobsNode[] | undefined | void)[] = [];
    const sub = a.jobsTree.onDidChangeTreeData((e) => events.push(e));
    try {
      await vscode.commands.executeCommand('codexJobs.filterJobs', { groupBy: 'session' });
      allJobNodes(a);
      events.length = 0;
      await fs.writeFile(job.recordPath, JSON.stringify({ ...rec, sessionId: moved }));
      await until(a, () => a.model.findJob(stateDir, job.id)?.display.sessionId === moved, 'the new session');
      await new Promise((r) => setTimeout(r, 100));
      assert.ok(
        events.some((e) => e === undefined),
        `a whole-tree refresh (events: ${events.map((e) => (Array.isArray(e) ? e.length : String(e))).join(', ')})`,
      );
      const group = tree(a).find((n) => n.type === 'group' && n.group === `session:id:${moved}`);
      assert.ok(group, 'a group for the new session');
      assert.deepStrictEqual(
        tree(a, group).map((n) => (n.type === 'job' ? n.job.id : '')),
        [job.id],
      );
    } finally {
      sub.dispose();
      await fs.writeFile(job.recordPath, JSON.stringify(rec));
      await until(a, () => a.model.findJob(stateDir, job.id)?.display.sessionId === rec.sessionId, 'the old session');
      await vscode.commands.executeCommand('codexJobs.filterJobs', { groupBy: 'status', sortBy: 'newest' });
    }
  });

  test('Re-run is an inline action on failed rows that can be run again, and only there', () => {
    const pkg = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON as {
      contributes: {
        commands: { command: string; icon?: string }[];
        menus: Record<string, { command: string; when?: string; group?: string }[]>;
      };
    };
    const inline = pkg.contributes.menus['view/item/context'].filter(
      (m) => m.command === 'codexJobs.rerunJob' && m.group?.startsWith('inline'),
    );
    assert.strictEqual(inline.length, 1, 'one inline Re-run');
    const when = inline[0].when ?? '';
    assert.match(when, /\bisWorkspaceTrusted\b/, 'it starts a job: trusted workspaces only');
    assert.match(when, /view == codexJobs\.jobs/);
    assert.ok(pkg.contributes.commands.find((c) => c.command === 'codexJobs.rerunJob')?.icon, 'an icon to show');
    // Every `viewItem =~ /…/` of the clause, tried on every row as the workbench does.
    const res = [...when.matchAll(/viewItem =~ \/((?:\\.|[^/])+)\//g)].map((m) => new RegExp(m[1]));
    assert.ok(res.length >= 2, when);
    const shown = allJobNodes(a)
      .filter((n) => res.every((re) => re.test(String(n.item.contextValue))))
      .map((n) => n.job.id);
    assert.deepStrictEqual(shown, [SCENARIO_IDS.failed], 'the failed review, not the cancelled or stale ones');
    const failed = allJobNodes(a).find((n) => n.job.id === SCENARIO_IDS.failed)!;
    assert.ok(String(failed.item.contextValue).split(' ').includes('rerunnable'), String(failed.item.contextValue));
  });

  test("a job that changes in place refreshes its own row only (the model's diff, mapped to its node)", async () => {
    allJobNodes(a); // render every row, as an expanded view has
    const job = a.model.allJobs().find((j) => j.id === SCENARIO_IDS.running)!;
    const events: (JobsNode | JobsNode[] | undefined | void)[] = [];
    const sub = a.jobsTree.onDidChangeTreeData((e) => events.push(e));
    const changes: string[] = [];
    const sub2 = a.model.onDidChange((e) =>
      changes.push(
        `full=${e.full} ` +
          (e.diffs ?? [])
            .map((d) => `+${d.added.length} -${d.removed.length} ~${d.changed.length} w=${d.warningsChanged}`)
            .join(';'),
      ),
    );
    try {
      const rec = JSON.parse(await fs.readFile(job.recordPath, 'utf8')) as Record<string, unknown>;
      await fs.writeFile(job.recordPath, JSON.stringify({ ...rec, summary: 'renamed in place' }));
      const deadline = Date.now() + 20_000;
      while (!a.model.allJobs().some((j) => j.id === job.id && j.display.summary === 'renamed in place')) {
        if (Date.now() > deadline) throw new Error('the model never saw the change');
        await new Promise((r) => setTimeout(r, 50));
      }
      await new Promise((r) => setTimeout(r, 100));
      const rows = events.filter((e): e is JobsNode[] => Array.isArray(e)).flat();
      assert.ok(
        rows.some((n) => n.type === 'job' && n.job.id === job.id),
        `its row was refreshed alone (events: ${events.map((e) => (Array.isArray(e) ? e.length : String(e))).join(', ')}; model: ${changes.join(' | ')})`,
      );
      assert.ok(!events.some((e) => e === undefined), 'no whole-tree refresh for an in-place change');
      const node = rows.find((n) => n.type === 'job' && n.job.id === job.id)!;
      assert.strictEqual(
        node.type === 'job' && node.job.display.summary,
        'renamed in place',
        'the row shows the new job',
      );
      await fs.writeFile(job.recordPath, JSON.stringify(rec));
      while (!a.model.allJobs().some((j) => j.id === job.id && j.display.summary === rec.summary)) {
        if (Date.now() > deadline) throw new Error('the model never saw the change back');
        await new Promise((r) => setTimeout(r, 50));
      }
    } finally {
      sub.dispose();
      sub2.dispose();
    }
  });

  test('All Workspaces lists other workspaces of the same roots', async () => {
    const otherDir = path.join(root, 'other-project-0123456789abcdef');
    await fs.mkdir(path.join(otherDir, 'jobs'), { recursive: true });
    const rec = {
      id: 'task-mwu0b001-oth001',
      kind: 'task',
      kindLabel: 'rescue',
      title: 'Codex Task',
      summary: 'Tidy the other project',
      workspaceRoot: '/somewhere/other-project',
      status: 'completed',
      phase: 'done',
      pid: null,
      createdAt: new Date(Date.now() - 120_000).toISOString(),
      startedAt: new Date(Date.now() - 120_000).toISOString(),
      completedAt: new Date(Date.now() - 60_000).toISOString(),
    };
    await fs.writeFile(
      path.join(otherDir, 'jobs', `${rec.id}.json`),
      JSON.stringify({ ...rec, rendered: 'Tidied the other project.\n' }),
    );
    await fs.writeFile(
      path.join(otherDir, 'jobs', `${rec.id}.log`),
      '[t] Starting Codex Task.\n[t] other project log\n',
    );
    await fs.writeFile(path.join(otherDir, 'state.json'), JSON.stringify({ version: 1, jobs: [rec] }));
    await vscode.workspace
      .getConfiguration('codexJobs')
      .update('allWorkspaces.show', true, vscode.ConfigurationTarget.Global);
    try {
      const all = tree(a).find((n) => n.type === 'allWorkspaces');
      assert.ok(all, 'an All Workspaces node');
      const workspaces = await a.jobsTree.getChildren(all);
      const other = workspaces.find((n) => n.type === 'otherWorkspace' && n.workspace.name === 'other-project');
      assert.ok(other, `other-project listed: ${workspaces.map((w) => a.jobsTree.getTreeItem(w).label).join(', ')}`);
      const jobs = (await a.jobsTree.getChildren(other)).map((n) => a.jobsTree.getTreeItem(n));
      assert.deepStrictEqual(
        jobs.map((i) => i.label),
        ['rescue: Tidy the other project'],
      );
      assert.match(String(jobs[0].description), /^completed · \d+ min ago · 1m 00s$/);
      assert.ok(
        !workspaces.some(
          (n) => n.type === 'otherWorkspace' && n.workspace.stateDirs.some((d) => d.stateDir === stateDir),
        ),
        'the open folder is not repeated',
      );
      // Its log, record and result open like an open folder's job's (the URI's state dir is known).
      const job = (other && (await a.jobsTree.getChildren(other)).find((n) => n.type === 'job'))!;
      const text = async (command: string) =>
        (
          await vscode.workspace.openTextDocument(
            await vscode.commands.executeCommand<vscode.Uri>(command, (job as { job: Job }).job),
          )
        ).getText();
      assert.match(await text('codexJobs.openLog'), /other project log/);
      assert.match(await text('codexJobs.showJobRecord'), /Tidy the other project/);
      assert.match(await text('codexJobs.showResult'), /Tidied the other project\./);
    } finally {
      await vscode.workspace
        .getConfiguration('codexJobs')
        .update('allWorkspaces.show', undefined, vscode.ConfigurationTarget.Global);
      await fs.rm(otherDir, { recursive: true, force: true });
    }
  });

  test('bad input is shown as warnings, not hidden and not fatal', () => {
    const warnings = tree(a).find((n) => n.type === 'warnings');
    assert.ok(warnings, 'a warnings node');
    const texts = tree(a, warnings).map(
      (n) => `${a.jobsTree.getTreeItem(n).label} ${a.jobsTree.getTreeItem(n).tooltip}`,
    );
    assert.ok(
      texts.some((t) => t.includes('../escape')),
      `warns about ../escape: ${texts.join(' | ')}`,
    );
    assert.ok(
      texts.some((t) => t.includes(BAD_RECORD_ID)),
      `warns about the torn record: ${texts.join(' | ')}`,
    );
  });

  test('status bar counts running and attention', () => {
    assert.strictEqual(a.statusBar.text, '$(warning) Codex 2 running, 1 queued, 5 need attention');
  });

  test('commands are registered', async () => {
    const all = await vscode.commands.getCommands(true);
    for (const c of [
      'filterJobs',
      'clearFilter',
      'findJob',
      'refresh',
      'openLog',
      'showResult',
      'copyJobId',
      'revealStateDir',
      'showJobRecord',
      'showSearchedLocations',
    ]) {
      assert.ok(all.includes(`codexJobs.${c}`), `codexJobs.${c}`);
    }
  });

  test('Show Result renders the record as Markdown', async () => {
    const job = a.model.allJobs().find((j) => j.id === SCENARIO_IDS.completed)!;
    const uri = await vscode.commands.executeCommand<vscode.Uri>('codexJobs.showResult', job);
    const doc = await vscode.workspace.openTextDocument(uri);
    assert.strictEqual(doc.languageId, 'markdown');
    assert.match(doc.getText(), /Handled the requested task\./);
  });

  test('Show Job Record shows the raw JSON, or the index entry when the record is gone', async () => {
    const withRecord = a.model.allJobs().find((j) => j.id === SCENARIO_IDS.failed)!;
    const doc = await vscode.workspace.openTextDocument(
      await vscode.commands.executeCommand<vscode.Uri>('codexJobs.showJobRecord', withRecord),
    );
    const json = JSON.parse(doc.getText().replace(/^\/\/.*$/gm, ''));
    assert.strictEqual(json.errorMessage, 'turn/start failed: rate limited');
    const gone = a.model.allJobs().find((j) => j.id === SCENARIO_IDS.recordMissing)!;
    const doc2 = await vscode.workspace.openTextDocument(
      await vscode.commands.executeCommand<vscode.Uri>('codexJobs.showJobRecord', gone),
    );
    assert.match(doc2.getText(), /is missing; this is the job's entry in state\.json/);
  });

  test('Copy Job Id puts the id on the clipboard', async () => {
    const job = a.model.allJobs().find((j) => j.id === SCENARIO_IDS.stale)!;
    await vscode.commands.executeCommand('codexJobs.copyJobId', job);
    assert.strictEqual(await vscode.env.clipboard.readText(), SCENARIO_IDS.stale);
  });

  test('Open Log follows the file as it grows, and stops watching when closed', async () => {
    const job = a.model.allJobs().find((j) => j.id === SCENARIO_IDS.running)!;
    const uri = await vscode.commands.executeCommand<vscode.Uri>('codexJobs.openLog', job);
    const doc = await vscode.workspace.openTextDocument(uri);
    assert.match(doc.getText(), /Running command: npm test/);
    assert.ok(!doc.getText().includes('appended while open'));
    const changed = new Promise<void>((resolve) => {
      const sub = vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.document.uri.toString() === uri.toString() && e.document.getText().includes('appended while open')) {
          sub.dispose();
          resolve();
        }
      });
    });
    await fs.appendFile(job.logPath, `[${new Date().toISOString()}] appended while open\n`);
    await Promise.race([
      changed,
      new Promise((_, rej) => setTimeout(() => rej(new Error('log document did not follow the file')), 10_000)),
    ]);
    assert.ok(a.logs.followedCount >= 1);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  test('a crafted URI cannot read outside known state dirs', async () => {
    const uri = vscode.Uri.from({
      scheme: 'codex-jobs-log',
      path: '/passwd.log',
      query: new URLSearchParams({ dir: '/etc' }).toString(),
    });
    const doc = await vscode.workspace.openTextDocument(uri);
    assert.match(doc.getText(), /not part of a known Codex state directory/);
  });

  test('Refresh picks up a job written after activation', async () => {
    const id = 'task-mwu0a0ff-new0ff';
    const rec = {
      id,
      kind: 'task',
      kindLabel: 'rescue',
      title: 'Codex Task',
      status: 'completed',
      phase: 'done',
      pid: null,
      createdAt: new Date().toISOString(),
      completedAt: new Date().toISOString(),
    };
    await fs.writeFile(path.join(stateDir, 'jobs', `${id}.json`), JSON.stringify(rec));
    await vscode.commands.executeCommand('codexJobs.refresh');
    await until(a, () => !!a.model.findJob(stateDir, id), 'the new job');
    assert.ok(a.model.findJob(stateDir, id)!.flags.includes('unindexed'));
  });
});
