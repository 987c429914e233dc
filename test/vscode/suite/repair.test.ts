// Repairs from the tree in a real VS Code: the menus offer them on the right items, and each one
// changes the state dir as promised.
import * as assert from 'assert';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import type { CodexJobsApi } from '../../../src/extension';
import type { RepairResult } from '../../../src/core/actions/repair';
import type { JobsNode } from '../../../src/ui/jobsTree';
import { resolveWorkspaceRoot, stateDirName } from '../../../src/core/discovery/discovery';
import { SCENARIO_IDS, writeScenario } from '../../fixtures/scenario';
import { ProcessGroup, startScenarioProcesses } from '../../fixtures/spawn';

async function until(ok: () => boolean | Promise<boolean>, what: string, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The commands a job's context menu shows, by evaluating the manifest's `viewItem =~` clauses. */
function menuCommands(contextValue: string, inline = false): string[] {
  const manifest = vscode.extensions.getExtension('codex-jobs.codex-jobs')!.packageJSON as {
    contributes: { menus: Record<string, { command: string; when: string; group?: string }[]> };
  };
  const found = manifest.contributes.menus['view/item/context']
    .filter((m) => m.when.includes('view == codexJobs.jobs'))
    .filter((m) => !inline || m.group?.startsWith('inline'))
    .filter((m) =>
      [...m.when.matchAll(/viewItem =~ \/(.+?)\/(?= |$)/g)].every((c) => new RegExp(c[1]).test(contextValue)),
    )
    .map((m) => m.command);
  return [...new Set(found)];
}

suite('Repairs', function () {
  this.timeout(60_000);
  const procs = new ProcessGroup();
  let a: CodexJobsApi;
  let root: string;
  let stateDir: string;
  const state = async () =>
    JSON.parse(await fs.readFile(path.join(stateDir, 'state.json'), 'utf8')) as {
      jobs: { id: string; status: string; pid: unknown }[];
      config: unknown;
    };
  const itemFor = (id: string): vscode.TreeItem | undefined => {
    const walk = (n?: JobsNode): vscode.TreeItem | undefined => {
      for (const c of a.jobsTree.getChildren(n) as JobsNode[]) {
        if (c.type === 'job' && c.job.id === id) return a.jobsTree.getTreeItem(c);
        if (c.type === 'folder' || c.type === 'group') {
          const found = walk(c);
          if (found) return found;
        }
      }
      return undefined;
    };
    return walk();
  };
  const job = (id: string) => a.model.findJob(stateDir, id);

  suiteSetup(async () => {
    a = (await vscode.extensions.getExtension<CodexJobsApi>('codex-jobs.codex-jobs')!.activate()) as CodexJobsApi;
    const ws = vscode.workspace.workspaceFolders![0].uri.fsPath;
    root = await fs.mkdtemp(path.join(process.env.CODEX_JOBS_TEST_TMP ?? os.tmpdir(), 'repair-root-'));
    stateDir = path.join(root, await stateDirName(await resolveWorkspaceRoot(ws)));
    await writeScenario(stateDir, ws, await startScenarioProcesses(procs, ws, SCENARIO_IDS));
    await vscode.workspace
      .getConfiguration('codexJobs')
      .update('stateRoots', [root], vscode.ConfigurationTarget.Global);
    await until(() => !!job(SCENARIO_IDS.stale) && !!job(SCENARIO_IDS.unindexed), 'the scenario to load');
  });

  suiteTeardown(async () => {
    await vscode.workspace
      .getConfiguration('codexJobs')
      .update('stateRoots', undefined, vscode.ConfigurationTarget.Global);
    await procs.stopAll();
    await fs.rm(root, { recursive: true, force: true });
  });

  test('each repair is offered on exactly the items it applies to', () => {
    const offered = (id: string) =>
      menuCommands(String(itemFor(id)?.contextValue)).filter((c) => /restore|markStale/.test(c));
    assert.deepStrictEqual(offered(SCENARIO_IDS.stale), ['codexJobs.markStaleFailed']);
    assert.deepStrictEqual(offered(SCENARIO_IDS.pidReused), ['codexJobs.markStaleFailed']);
    assert.deepStrictEqual(offered(SCENARIO_IDS.unindexed), ['codexJobs.restoreToIndex']);
    // Recorded running, its process gone, and its record deleted: both repairs apply.
    assert.deepStrictEqual(offered(SCENARIO_IDS.recordMissing), [
      'codexJobs.restoreRecord',
      'codexJobs.markStaleFailed',
    ]);
    assert.deepStrictEqual(offered(SCENARIO_IDS.running), []);
    assert.deepStrictEqual(offered(SCENARIO_IDS.completed), []);
  });

  test('inline actions only where they do something', () => {
    const inline = (id: string) => menuCommands(String(itemFor(id)?.contextValue), true).sort();
    const I = SCENARIO_IDS;
    assert.deepStrictEqual(inline(I.running), ['codexJobs.cancelJob', 'codexJobs.openLog']);
    assert.deepStrictEqual(inline(I.stale), ['codexJobs.markStaleFailed']);
    assert.deepStrictEqual(inline(I.pidReused), ['codexJobs.markStaleFailed']);
    assert.deepStrictEqual(inline(I.completed), ['codexJobs.showResult']);
    assert.deepStrictEqual(inline(I.failed), ['codexJobs.rerunJob'], 'a failed job can be run again from its row');
    assert.deepStrictEqual(inline(I.cancelled), []);
    assert.deepStrictEqual(inline(I.unverified), ['codexJobs.openLog'], 'unverified: nothing to cancel');
  });

  test('Mark Stale Job as Failed writes the index and the record; the tree shows it failed', async () => {
    const before = await state();
    const r = await vscode.commands.executeCommand<RepairResult>('codexJobs.markStaleFailed', job(SCENARIO_IDS.stale), {
      confirmed: true,
    });
    assert.ok(r?.ok, r?.message);
    const after = await state();
    const entry = after.jobs.find((e) => e.id === SCENARIO_IDS.stale)!;
    assert.strictEqual(entry.status, 'failed');
    assert.strictEqual(entry.pid, null);
    assert.deepStrictEqual(after.config, before.config);
    assert.deepStrictEqual(
      after.jobs.map((e) => e.id),
      before.jobs.map((e) => e.id),
      'no entry added, dropped or moved',
    );
    await until(() => job(SCENARIO_IDS.stale)?.status === 'failed', 'the tree to show it failed');
  });

  test('Restore Job to Index puts the lost job back; it is no longer flagged', async () => {
    const r = await vscode.commands.executeCommand<RepairResult>(
      'codexJobs.restoreToIndex',
      job(SCENARIO_IDS.unindexed),
      { confirmed: true },
    );
    assert.ok(r?.ok, r?.message);
    assert.ok((await state()).jobs.some((e) => e.id === SCENARIO_IDS.unindexed));
    await until(() => !job(SCENARIO_IDS.unindexed)?.flags.includes('unindexed'), 'the unindexed flag to clear');
  });

  test('Restore Record brings a deleted record back from the archive', async () => {
    const id = SCENARIO_IDS.completed;
    await until(() => !!a.archive.get(stateDir, id)?.record, 'the record to be archived');
    await fs.rm(path.join(stateDir, 'jobs', `${id}.json`));
    await until(() => !!job(id)?.flags.includes('record-missing'), 'record-missing');
    const r = await vscode.commands.executeCommand<RepairResult>('codexJobs.restoreRecord', job(id), {
      confirmed: true,
    });
    assert.ok(r?.ok, r?.message);
    await fs.stat(path.join(stateDir, 'jobs', `${id}.json`));
    await until(() => !!job(id) && !job(id)!.flags.includes('record-missing'), 'the flag to clear');
    assert.strictEqual(job(id)!.status, 'completed');
  });
});
