// The codex-jobs command line: built from the same core as the extension.
process.stderr.write('codex-jobs: no commands yet\n');
process.exitCode = 2;
