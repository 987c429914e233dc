// Runs a command as the only thing in a pid namespace of its own (`unshare --pid --fork --mount-proc`,
// with a /proc of its own), so that a test that signals, cancels or reaps can reach nothing else on the
// machine, sees no broker or companion it did not start, and leaves nothing behind: when the command
// ends, the kernel ends whatever it left. Where unshare is not permitted (not root, no user
// namespaces, not Linux) the command runs in the shared namespace and that is said, with
// CODEX_JOBS_TEST_SHARED_PIDS=1 set so the assertions that count every process are skipped.
//
//   node test/pidns.mjs <command> [args…]     (exit code: the command's)
import { spawn, spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

export const IN_PID_NAMESPACE = 'CODEX_JOBS_IN_PID_NAMESPACE';

/** Undefined when this process can make a pid namespace; otherwise why not. */
export function canUnshare() {
  if (process.platform !== 'linux') return 'not Linux';
  const r = spawnSync('unshare', ['--pid', '--fork', '--mount-proc', '--kill-child', 'true'], { encoding: 'utf8' });
  return r.status === 0 ? undefined : (r.error?.message ?? r.stderr.trim()) || `exit ${r.status}`;
}

/** Runs `argv` as the first process's child in a new pid namespace and exits with its code. */
export function runInOwnPidNamespace(argv) {
  // --kill-child: if unshare dies for any reason, the kernel signals the namespace's first process.
  // That is a bash that passes signals on to the command and reaps the orphans re-parented to it (a
  // task-worker whose launcher exited), which Node as pid 1 would leave as zombies.
  const init =
    '"$@" & c=$!; trap "kill -TERM $c 2>/dev/null" TERM INT HUP; ' +
    'while :; do wait $c; r=$?; kill -0 $c 2>/dev/null || exit $r; done';
  const child = spawn(
    'unshare',
    ['--pid', '--fork', '--mount-proc', '--kill-child=SIGTERM', 'bash', '-c', init, 'bash', ...argv],
    { stdio: 'inherit', env: { ...process.env, [IN_PID_NAMESPACE]: '1' } },
  );
  let killTimer;
  const stop = () => {
    child.kill('SIGTERM');
    killTimer ??= setTimeout(() => child.kill('SIGKILL'), 15_000);
  };
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, stop);
  // npm passes SIGTERM to the `sh -c` it runs scripts in, and sh dies without passing it on.
  const parent = process.ppid;
  setInterval(() => process.ppid !== parent && stop(), 500).unref();
  child.once('exit', (code, signal) => {
    clearTimeout(killTimer);
    process.exit(code ?? (signal ? 128 + 15 : 1));
  });
}

if (fileURLToPath(import.meta.url) === path.resolve(process.argv[1] ?? '')) {
  const argv = process.argv.slice(2);
  if (argv.length === 0) {
    console.error('usage: node test/pidns.mjs <command> [args…]');
    process.exit(2);
  }
  const why = process.env[IN_PID_NAMESPACE] || process.env.CODEX_JOBS_TEST_SHARED_PIDS ? 'already' : canUnshare();
  if (why === undefined) runInOwnPidNamespace(argv);
  else {
    if (why !== 'already')
      console.log(
        `[pidns] SKIPPING hermetic mode: cannot make a pid namespace (${why}); the tests see every process on this machine.`,
      );
    const child = spawn(argv[0], argv.slice(1), {
      stdio: 'inherit',
      env: why === 'already' ? process.env : { ...process.env, CODEX_JOBS_TEST_SHARED_PIDS: '1' },
    });
    child.once('exit', (code, signal) => process.exit(code ?? (signal ? 128 + 15 : 1)));
  }
}
