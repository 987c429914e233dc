// The import rules `npm run lint` checks (dependency-cruiser): no circle anywhere in src; the core's
// folders are floors, each importing only the floors below it; the core never reaches the editor or
// the two front ends; the front ends never reach each other; in src/ui nothing imports the command
// files but their own index (commands sit at the top).

/** src/core's folders, bottom floor first (ARCHITECTURE.md says what each holds). */
const FLOORS = [
  'vocab',
  'io',
  'os',
  'discovery',
  'state',
  'archive',
  'brokers',
  'usage',
  'actions',
  'model',
  'timeline',
  'guardian',
];

/** One rule per floor: nothing in it imports a floor above it. */
const layering = FLOORS.slice(0, -1).map((floor, i) => ({
  name: `core-${floor}-not-up`,
  severity: 'error',
  comment: `src/core/${floor} sits below ${FLOORS.slice(i + 1).join(', ')}: it never imports them.`,
  from: { path: `^src/core/${floor}/` },
  to: { path: `^src/core/(${FLOORS.slice(i + 1).join('|')})/` },
}));

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    ...layering,
    {
      name: 'core-in-floors',
      severity: 'error',
      comment: 'Every core module lives in one of the floors (a loose file has no place in the order).',
      from: { path: '^src/core/[^/]+$' },
      to: {},
    },
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'An import circle: a module that needs itself cannot be read or changed on its own.',
      from: { path: '^src' },
      to: { circular: true },
    },
    {
      name: 'core-no-vscode',
      severity: 'error',
      comment: 'src/core runs in the CLI too: it never imports vscode.',
      from: { path: '^src/core' },
      to: { path: '^vscode$', dependencyTypes: ['core', 'npm', 'unknown', 'undetermined', 'type-only'] },
    },
    {
      name: 'core-not-up',
      severity: 'error',
      comment: 'The core is below the UI, the CLI and the extension entry.',
      from: { path: '^src/core' },
      to: { path: '^src/(ui|cli|extension)' },
    },
    {
      name: 'cli-not-ui',
      severity: 'error',
      comment: 'The command line and the editor are two front ends of one core.',
      from: { path: '^src/cli' },
      to: { path: '^src/(ui|extension)' },
    },
    {
      name: 'ui-not-cli',
      severity: 'error',
      from: { path: '^src/(ui|extension)' },
      to: { path: '^src/cli' },
    },
    {
      name: 'ui-not-up-into-commands',
      severity: 'error',
      comment: 'Commands are the top of src/ui: views and flows never import them.',
      from: { path: '^src/ui/[^/]+$' },
      to: { path: '^src/ui/commands/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
  },
};
