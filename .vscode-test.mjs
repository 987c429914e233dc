// @vscode/test-cli configuration, for machines that can download a desktop VS Code (`npx vscode-test`).
// The same suites run in the browser-hosted VS Code through `npm run test:vscode` where they cannot.
import { defineConfig } from '@vscode/test-cli';
import { mkdtempSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const tmp = mkdtempSync(join(tmpdir(), 'codex-jobs-electron-'));
const workspace = join(tmp, 'sample-project');
mkdirSync(workspace);

export default defineConfig({
  files: 'out/test/vscode/suite/**/*.test.js',
  workspaceFolder: workspace,
  mocha: { ui: 'tdd', timeout: 30000 },
  env: { CODEX_JOBS_TEST_WORKSPACE: workspace, CODEX_JOBS_TEST_TMP: tmp, CLAUDE_CONFIG_DIR: join(tmp, 'claude') },
});
