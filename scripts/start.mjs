// `npm start`: builds the extension and opens it in a real VS Code on the current folder: the desktop
// `code` when it is on the PATH, otherwise the local VS Code in the browser (its URL is printed).
import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { prepare } from '../test/vscode/prepare.mjs';
import { startServer, workbenchUrl } from '../test/vscode/run.mjs';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const folder = path.resolve(process.argv[2] ?? process.env.INIT_CWD ?? process.cwd());

const build = spawnSync('npm', ['run', 'build'], { cwd: repo, stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);

const code = spawnSync(process.platform === 'win32' ? 'where' : 'which', ['code'], { encoding: 'utf8' });
if (code.status === 0 && code.stdout.trim() && !process.env.CODEX_JOBS_BROWSER) {
  console.log(`Opening ${folder} in VS Code with the extension under development.`);
  const r = spawnSync(code.stdout.trim().split('\n')[0], ['--extensionDevelopmentPath', repo, folder], {
    stdio: 'inherit',
  });
  process.exit(r.status ?? 0);
}

const cs = prepare();
const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'codex-jobs-start-'));
const server = await startServer(cs, { workspace: folder, tmp, env: {} });
const url = workbenchUrl(server.port, folder, [['extensionDevelopmentPath', repo]]);
console.log(
  `\nVS Code with Codex Jobs is running on this machine only (127.0.0.1). Open:\n\n  ${url}\n\nPress Ctrl-C to stop.`,
);
const stop = async () => {
  await server.stop();
  await fs.rm(tmp, { recursive: true, force: true });
  process.exit(0);
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
// Keep running until stopped; the server is in its own process group.
setInterval(() => {}, 1 << 30);
