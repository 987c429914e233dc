// Bundles the extension and the CLI; `--watch` rebuilds on change, `--production` minifies.
import * as esbuild from 'esbuild';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: !production,
  minify: production,
  logLevel: 'info',
  // fsevents is an optional macOS-only dependency of chokidar; leave it to runtime resolution.
  external: ['vscode', 'fsevents'],
};

// The CLI is two bundles: dist/cli.js (arguments, help, version) requires dist/cliRun.js (the
// commands and the core) only when a command runs, so `--help` and `--version` parse none of it.
const cliRunExternal = {
  name: 'cli-run-external',
  setup(build) {
    build.onResolve({ filter: /^\.\/cliRun$/ }, () => ({ path: './cliRun.js', external: true }));
  },
};

const builds = [
  { ...common, entryPoints: ['src/extension.ts'], outfile: 'dist/extension.js' },
  {
    ...common,
    entryPoints: ['src/cli/main.ts'],
    outfile: 'dist/cli.js',
    banner: { js: '#!/usr/bin/env node' },
    plugins: [cliRunExternal],
  },
  { ...common, entryPoints: ['src/cli/cliRun.ts'], outfile: 'dist/cliRun.js' },
  // The job timeline's page script (src/webview): in the editor's panel and inlined in the CLI's HTML export.
  {
    ...common,
    platform: 'browser',
    target: 'es2020',
    format: 'iife',
    sourcemap: false,
    external: [],
    entryPoints: ['src/webview/timeline/main.ts'],
    outfile: 'dist/timeline.js',
  },
];

if (watch) {
  for (const b of builds) await (await esbuild.context(b)).watch();
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
}
