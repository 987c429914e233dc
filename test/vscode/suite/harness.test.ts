// Proof that these suites run in a real VS Code extension host, not against a stand-in.
import * as assert from 'assert';
import * as vscode from 'vscode';

suite('Harness', () => {
  test('runs in a Node extension host of a real VS Code', () => {
    assert.ok(Number(process.versions.node.split('.')[0]) >= 20, `node ${process.versions.node}`);
    assert.match(vscode.version, /^\d+\.\d+\.\d+/);
    assert.strictEqual(typeof vscode.window.createTreeView, 'function');
  });

  test('the extension activates and reports its activation time', async () => {
    const ext = vscode.extensions.getExtension<{ activationMs: number }>('codex-jobs.codex-jobs');
    assert.ok(ext);
    const api = await ext.activate();
    assert.ok(api.activationMs > 0);
    // A figure for the README's performance table, not a timed assertion.
    console.log(`activation: ${api.activationMs.toFixed(1)} ms`);
  });

  test('the test workspace is open', () => {
    const folders = vscode.workspace.workspaceFolders ?? [];
    assert.strictEqual(folders.length, 1);
    if (process.env.CODEX_JOBS_TEST_WORKSPACE)
      assert.strictEqual(folders[0].uri.fsPath, process.env.CODEX_JOBS_TEST_WORKSPACE);
  });
});
