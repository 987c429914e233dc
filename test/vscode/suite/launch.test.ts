// Launching and cancelling from the editor, through the fake companion (which writes state.json the
// way the real one does), in a real VS Code.
import * as assert from 'assert';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import type { CodexJobsApi } from '../../../src/extension';
import type { LaunchResult } from '../../../src/core/actions/launcher';
import type { CancelOutcome } from '../../../src/core/actions/cancel';

suite('Launch and cancel', function () {
  this.timeout(90_000);
  let api: CodexJobsApi;
  let pluginData: string;
  const config = () => vscode.workspace.getConfiguration('codexJobs');

  suiteSetup(async () => {
    api = (await vscode.extensions.getExtension<CodexJobsApi>('codex-jobs.codex-jobs')!.activate()) as CodexJobsApi;
    pluginData = await fs.mkdtemp(path.join(process.env.CODEX_JOBS_TEST_TMP ?? os.tmpdir(), 'plugin-data-'));
    const ext = vscode.extensions.getExtension('codex-jobs.codex-jobs')!;
    await config().update(
      'companionPath',
      path.join(ext.extensionPath, 'test', 'fixtures', 'fake-plugin', 'scripts', 'codex-companion.mjs'),
      vscode.ConfigurationTarget.Global,
    );
    await config().update('nodePath', process.execPath, vscode.ConfigurationTarget.Global);
    await config().update('pluginDataDir', pluginData, vscode.ConfigurationTarget.Global);
    await config().update('stateRoots', [path.join(pluginData, 'state')], vscode.ConfigurationTarget.Global);
  });

  suiteTeardown(async () => {
    for (const k of ['companionPath', 'nodePath', 'pluginDataDir', 'stateRoots'])
      await config().update(k, undefined, vscode.ConfigurationTarget.Global);
    for (const j of api.model.allJobs())
      if (j.display.pid && j.stateDir.startsWith(pluginData))
        try {
          process.kill(j.display.pid, 'SIGKILL');
        } catch {
          /* gone */
        }
    await fs.rm(pluginData, { recursive: true, force: true });
  });

  test('Start Rescue Task launches under the lock; the job is tracked and verified; Cancel Job ends it', async () => {
    const folder = vscode.workspace.workspaceFolders![0].uri.fsPath;
    const result = await vscode.commands.executeCommand<LaunchResult>('codexJobs.startRescueTask', {
      folder,
      prompt: 'fix the flaky test',
      write: false,
    });
    assert.ok(result?.ok, `launched: ${result?.message}`);
    assert.deepStrictEqual(result.vanished, []);
    const stateFile = path.join(result.stateDir!, 'state.json');
    // The companion writes state.json in place, perhaps still now (its queued write): read it whole.
    let state: { jobs: { id: string }[] } | undefined;
    for (let i = 0; !state; i++) {
      try {
        state = JSON.parse(await fs.readFile(stateFile, 'utf8'));
      } catch (err) {
        if (i >= 100) throw err;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    assert.ok(
      state.jobs.some((j) => j.id === result.jobId),
      'the job is in state.json',
    );
    await fs.stat(path.join(result.stateDir!, 'jobs', `${result.jobId}.json`));
    const deadline = Date.now() + 20_000;
    while (api.model.findJob(result.stateDir!, result.jobId!)?.status !== 'running' && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 200));
    const job = api.model.findJob(result.stateDir!, result.jobId!);
    assert.strictEqual(job?.status, 'running', `tracked and verified: ${job?.verification?.detail}`);
    const outcome = await vscode.commands.executeCommand<CancelOutcome>('codexJobs.cancelJob', job);
    assert.ok(outcome?.ok, `cancelled: ${outcome?.message}`);
    assert.deepStrictEqual(outcome.remaining, []);
    const end = Date.now() + 15_000;
    while (
      !['cancelled', 'stale', 'failed'].includes(api.model.findJob(result.stateDir!, result.jobId!)?.status ?? '') &&
      Date.now() < end
    )
      await new Promise((r) => setTimeout(r, 200));
    assert.ok(['cancelled', 'stale', 'failed'].includes(api.model.findJob(result.stateDir!, result.jobId!)!.status));
  });

  test('without a companion, the message says what to set', async () => {
    await config().update('companionPath', '/nonexistent/codex-companion.mjs', vscode.ConfigurationTarget.Global);
    const folder = vscode.workspace.workspaceFolders![0].uri.fsPath;
    // The error message is shown without blocking; the command resolves with nothing launched.
    const result = await Promise.race([
      vscode.commands.executeCommand<LaunchResult | undefined>('codexJobs.startReview', { folder }),
      new Promise<'blocked'>((r) => setTimeout(() => r('blocked'), 3000)),
    ]);
    assert.ok(result === undefined || result === 'blocked');
    // A rescue task asks three questions: none is asked when there is no companion to run them.
    const task = await Promise.race([
      vscode.commands.executeCommand<LaunchResult | undefined>('codexJobs.startRescueTask', { folder }),
      new Promise<'asked'>((r) => setTimeout(() => r('asked'), 3000)),
    ]);
    await vscode.commands.executeCommand('workbench.action.closeQuickOpen');
    assert.equal(task, undefined, 'the launch ends before any question');
    assert.ok(
      !api.model.allJobs().some((j) => j.stateDir.startsWith(pluginData) && j.id.startsWith('review-')),
      'no review was started',
    );
  });
});
