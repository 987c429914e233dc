// The Jobs view, status bar and commands in a real VS Code, against a real state dir and real processes.
import * as assert from 'assert';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import type { CodexJobsApi } from '../../../src/extension';
import type { JobsNode } from '../../../src/ui/jobsTree';
import type { Job } from '../../../src/core/types';
import { resolveWorkspaceRoot, stateDirName } from '../../../src/core/discovery';
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
      if (c.type === 'job') out.push({ node: c, item: a.jobsTree.getTreeItem(c), job: c.job });
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
    await writeScenario(stateDir, ws.uri.fsPath, await startScenarioProcesses(procs, ws.uri.fsPath, SCENARIO_IDS));
    await vscode.workspace
      .getConfiguration('codexJobs')
      .update('stateRoots', [root], vscode.ConfigurationTarget.Global);
    await until(a, () => a.model.allJobs().length >= 12, 'the scenario jobs to load');
  });

  suiteTeardown(async () => {
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
    assert.strictEqual(run.item.label, 'rescue · Codex Task');
    // The scenario's job started 59.7 s before it was written: a fast load can still show "59s".
    assert.match(String(run.item.description), /^investigating · (\d+m \d\ds|59s)$/);
    // The id must stay the same as time passes (a temp dir name may contain "3m", so match exactly).
    assert.strictEqual(run.item.id, `job:${run.job.stateDir}:${run.job.id}`, 'elapsed time never in the id');
    const tip = (run.item.tooltip as vscode.MarkdownString).value;
    assert.match(tip, /task-worker/);
    assert.match(tip, new RegExp(String(run.job.display.pid)));
    const reused = (byId.get(SCENARIO_IDS.pidReused)!.item.tooltip as vscode.MarkdownString).value;
    assert.match(reused, /sleep 600/, 'the tooltip says what the pid really is');
    // Children: the latest progress lines of the log.
    const lines = tree(a, run.node).map((n) => a.jobsTree.getTreeItem(n).label);
    assert.ok(lines.includes('Running command: npm test'), `progress lines: ${lines.join(' | ')}`);
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
    assert.strictEqual(a.statusBar.text, '$(warning) Codex 3 running, 1 queued, 5 need attention');
  });

  test('commands are registered', async () => {
    const all = await vscode.commands.getCommands(true);
    for (const c of [
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
