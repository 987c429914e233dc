// Proof that these suites run in a real VS Code extension host, not against a stand-in.
import * as assert from 'assert';
import * as vscode from 'vscode';

suite('Harness', () => {
  test('runs in a Node extension host of a real VS Code', () => {
    assert.ok(Number(process.versions.node.split('.')[0]) >= 20, `node ${process.versions.node}`);
    assert.match(vscode.version, /^\d+\.\d+\.\d+/);
    assert.strictEqual(typeof vscode.window.createTreeView, 'function');
  });

  test('the test workspace is open', () => {
    const folders = vscode.workspace.workspaceFolders ?? [];
    assert.strictEqual(folders.length, 1);
    if (process.env.CODEX_JOBS_TEST_WORKSPACE) assert.strictEqual(folders[0].uri.fsPath, process.env.CODEX_JOBS_TEST_WORKSPACE);
  });
});
