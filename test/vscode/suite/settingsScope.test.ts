// A machine setting set in a workspace's own settings is ignored by VS Code: the user is told which.
import * as assert from 'assert';
import { promises as fs } from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { ignoredWorkspaceSettings } from '../../../src/ui/ignoredSettings';

suite('Settings a workspace cannot set', () => {
  test('codexJobs.stateRoots in .vscode/settings.json is named as ignored', async () => {
    const ws = vscode.workspace.workspaceFolders![0].uri.fsPath;
    const dir = path.join(ws, '.vscode');
    const file = path.join(dir, 'settings.json');
    const before = await fs.readFile(file, 'utf8').catch(() => undefined);
    await fs.mkdir(dir, { recursive: true });
    await fs.writeFile(
      file,
      '{\n  // a comment, as settings files have\n  "codexJobs.stateRoots": ["/tmp/elsewhere"],\n}\n',
    );
    try {
      assert.deepStrictEqual(await ignoredWorkspaceSettings(), ['codexJobs.stateRoots']);
      assert.deepStrictEqual(
        vscode.workspace.getConfiguration('codexJobs').get('stateRoots'),
        vscode.workspace.getConfiguration('codexJobs').inspect('stateRoots')?.globalValue ?? [],
        'and it is indeed not in force',
      );
    } finally {
      if (before === undefined) await fs.rm(dir, { recursive: true, force: true });
      else await fs.writeFile(file, before);
    }
  });
});
