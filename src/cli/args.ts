// The command line's grammar: every command, its options and what they do, parsed by Node's strict
// util.parseArgs. A usage error names what was wrong and where --help is; help text is made from the
// same specs, so an option cannot exist without being documented.
import * as path from 'path';
import { parseArgs as nodeParseArgs } from 'util';

/** Wrong use of the command line: exit 2, message on stderr. */
export class UsageError extends Error {
  constructor(
    message: string,
    /** The command whose --help explains it, when known. */
    readonly command?: CommandName,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

/**
 * A UsageError, also one thrown by a command: the commands are a bundle of their own (dist/cliRun.js)
 * with their own copy of this class, so the name tells it, not the prototype.
 */
export function isUsageError(err: unknown): err is UsageError {
  return err instanceof UsageError || (err instanceof Error && err.name === 'UsageError');
}

export type CommandName =
  'status' | 'watch' | 'log' | 'wait' | 'result' | 'findings' | 'brokers' | 'reap' | 'usage' | 'timeline' | 'guard';

interface OptionSpec {
  type: 'boolean' | 'string';
  short?: string;
  multiple?: boolean;
  /** The value's name in help, for string options. */
  value?: string;
  /** A string option whose value may be left out (`--sarif` alone, or before another option). */
  optionalValue?: boolean;
  help: string;
}

interface PositionalSpec {
  name: string;
  required: boolean;
  /** Takes every remaining argument (one at least when required). */
  variadic?: boolean;
  help: string;
}

interface CommandSpec {
  summary: string;
  positionals: PositionalSpec[];
  options: Record<string, OptionSpec>;
  /** Extra lines at the end of its help. */
  notes?: string[];
  /** Its exit statuses, when they are not the tool's usual ones. */
  exitCodes?: string;
}

const HELP: OptionSpec = { type: 'boolean', short: 'h', help: 'Show this help and exit.' };
const STATE_ROOT: OptionSpec = {
  type: 'string',
  multiple: true,
  value: 'dir',
  help: 'Look for state dirs only under <dir> (repeatable); replaces the default roots.',
};
const GRACE: OptionSpec = {
  type: 'string',
  value: 'seconds',
  help: 'An unreferenced broker younger than this is "starting", not an orphan (default 30).',
};
const JSON_OUT: OptionSpec = { type: 'boolean', help: 'Print one JSON object instead of text.' };
/** Said in the help of every command that prints texts from files. */
const SHOWN_NOTE = 'Control characters and escape sequences in texts from files are shown visibly (ESC as \\x1b).';
const JSON_NOTE = 'With --json the strings are exact; DEL, C1 and bidi controls are written as \\u escapes there.';
const ID_ARG: PositionalSpec = {
  name: 'id',
  required: true,
  help: 'The job id, or a unique prefix of it (as the companion takes them).',
};
const REF_NOTE = 'A prefix that fits several jobs is refused (exit 2) with the jobs it fits listed.';
const PATH_ARG: PositionalSpec = {
  name: 'path',
  required: false,
  help: 'A folder of the workspace (default: the current directory).',
};

export const COMMAND_SPECS: Record<CommandName, CommandSpec> = {
  status: {
    summary: 'The jobs of a workspace, with statuses verified against the running processes.',
    positionals: [PATH_ARG],
    options: {
      json: JSON_OUT,
      all: { type: 'boolean', help: 'Every workspace under the roots, not one path.' },
      'all-history': {
        type: 'boolean',
        help: 'Every archived job, however old (default: the last 7 days, at most 100).',
      },
      limit: { type: 'string', value: 'n', help: 'At most <n> jobs, the newest (archived ones read: at most <n>).' },
      since: {
        type: 'string',
        value: 'date',
        help: 'Only jobs from <date> on (2026-12-01, an ISO time, or 12h, 7d ago).',
      },
      'state-root': STATE_ROOT,
      help: HELP,
    },
    notes: [
      'On a terminal, rows are cut to its width; into a pipe or file they are printed whole.',
      'Archived jobs (their files deleted) are read from the archive index: only those shown are read.',
      SHOWN_NOTE,
      JSON_NOTE,
    ],
  },
  watch: {
    summary: 'A live view of the jobs of a workspace, until Ctrl-C.',
    positionals: [PATH_ARG],
    options: { 'state-root': STATE_ROOT, help: HELP },
    notes: [
      'On a terminal the view is redrawn in place; otherwise a new snapshot is printed after each change.',
      SHOWN_NOTE,
    ],
  },
  log: {
    summary: "Print a job's log.",
    positionals: [{ name: 'id', required: true, help: 'The job id, e.g. task-mwu0a001-run001.' }, PATH_ARG],
    options: {
      follow: { type: 'boolean', short: 'f', help: 'Keep printing what is appended, until Ctrl-C.' },
      raw: {
        type: 'boolean',
        help: "Print the log's bytes as they are, escape sequences included.",
      },
      'state-root': STATE_ROOT,
      help: HELP,
    },
    notes: [
      'Control characters and escape sequences in the log are shown visibly (ESC as \\x1b, CR as \\r),',
      'on a terminal and into a pipe alike, so a log cannot retitle, clear or write the clipboard of',
      'the terminal; --raw prints the bytes as they are.',
      'A log that is a symbolic link, a FIFO or anything but a regular file is refused (exit 1).',
    ],
  },
  wait: {
    summary: 'Wait until jobs have ended (completed, failed, cancelled or gone stale); print how.',
    positionals: [
      {
        name: 'id',
        required: true,
        variadic: true,
        help: 'Job ids (or unique prefixes) of the workspace of the current directory.',
      },
    ],
    options: {
      any: { type: 'boolean', help: 'Return when the first of them has ended, not all.' },
      timeout: { type: 'string', value: 'seconds', help: 'Give up after this long: exit 124.' },
      json: JSON_OUT,
      'state-root': STATE_ROOT,
      help: HELP,
    },
    notes: [
      'Follows file events and the re-verify of running processes, as watch does; never polls.',
      "A job the companion dropped or deleted is still followed and judged from its process and its log's end.",
      REF_NOTE,
      SHOWN_NOTE,
    ],
    exitCodes:
      'Exit status: 0 every job completed (with --any: the first to end), 1 one failed, was cancelled,\n' +
      'went stale or is not found, 2 usage error, 124 --timeout passed, 130 interrupted (Ctrl-C).',
  },
  result: {
    summary: "Print a finished job's output, as the companion's result command renders it.",
    positionals: [ID_ARG, PATH_ARG],
    options: { json: JSON_OUT, 'state-root': STATE_ROOT, help: HELP },
    notes: [
      "From the job's record, else its log's final block, else the archive's copy (the companion's files",
      "gone). With --json, a review's findings too. A job still running: a message, exit 1.",
      REF_NOTE,
      SHOWN_NOTE,
      JSON_NOTE,
    ],
  },
  findings: {
    summary: "A review's findings, compared with the previous review of the same target.",
    positionals: [ID_ARG, PATH_ARG],
    options: {
      json: JSON_OUT,
      sarif: {
        type: 'string',
        value: 'file',
        optionalValue: true,
        help: 'SARIF 2.1.0 instead: to <file> (replaced atomically), or stdout when none or "-".',
      },
      'state-root': STATE_ROOT,
      help: HELP,
    },
    notes: [
      'Each finding is new or still open since the previous review of the same target; the previous',
      "review's findings not seen again are listed as not reported again.",
      'The argument after --sarif is its file: give [path] before it. A --sarif file is never written',
      'through a symbolic link, onto a FIFO or a directory, or into a state dir.',
      REF_NOTE,
      SHOWN_NOTE,
      JSON_NOTE,
    ],
  },
  brokers: {
    summary: 'Every app-server broker and leftover broker session dir, and its class.',
    positionals: [],
    options: { json: JSON_OUT, 'grace-seconds': GRACE, 'state-root': STATE_ROOT, help: HELP },
    notes: [SHOWN_NOTE, JSON_NOTE],
  },
  reap: {
    summary: 'End orphan brokers and clear dead broker session dirs.',
    positionals: [],
    options: {
      'dry-run': { type: 'boolean', short: 'n', help: 'Only say what would be done.' },
      yes: { type: 'boolean', short: 'y', help: 'Do not ask first (needed when not run from a terminal).' },
      'grace-seconds': GRACE,
      'state-root': STATE_ROOT,
      help: HELP,
    },
    notes: [SHOWN_NOTE],
  },
  usage: {
    summary: "The account's Codex 5-hour and weekly windows: how much is used, when each resets.",
    positionals: [],
    options: { json: JSON_OUT, help: HELP },
    notes: [
      "Read from the newest token_count event in Codex's session files ($CODEX_HOME/sessions, CODEX_HOME",
      'from the environment, from live companion and broker processes, else ~/.codex); never written.',
      'A reading older than 10 minutes says so; a window whose reset time has passed counts as 0 %.',
      SHOWN_NOTE,
      JSON_NOTE,
    ],
  },
  timeline: {
    summary: 'The job timeline (what ran when, and what the races did) as one self-contained HTML file.',
    positionals: [PATH_ARG],
    options: {
      html: {
        type: 'string',
        value: 'file',
        help: 'Write it to <file> (replaced atomically), or "-" for stdout; default: a new file in the temp dir.',
      },
      all: { type: 'boolean', help: 'Every workspace under the roots, not one path.' },
      'state-root': STATE_ROOT,
      help: HELP,
    },
    notes: [
      'The path written is printed. The page needs no network: its script and styles are inline, under a',
      'Content-Security-Policy that allows nothing else; texts from files are shown as text, never markup.',
      'The file is never written through a symbolic link, onto a FIFO or a directory, or into a state dir.',
    ],
  },
  guard: {
    summary: "Keep the companion's own books whole: put back what concurrent writers dropped, until Ctrl-C.",
    positionals: [PATH_ARG],
    options: {
      all: { type: 'boolean', help: 'Every workspace under the roots, not one path.' },
      'grace-seconds': {
        type: 'string',
        value: 'seconds',
        help: 'A queued/running job whose process is gone this long is marked failed (default 120).',
      },
      'settle-ms': {
        type: 'string',
        value: 'ms',
        help: 'Write only into a state dir nothing has written to for this long (default 2000).',
      },
      'state-root': STATE_ROOT,
      help: HELP,
    },
    notes: [
      'Puts back jobs dropped from state.json, records and logs deleted while their job ran (from',
      "Codex Jobs' archive), index entries left running after their record finished, marks jobs whose",
      'process is gone failed, and reaps orphan brokers. One line per action; a summary on exit.',
      'It writes only into a quiet state dir, under the locks, atomically, and never deletes anything.',
      SHOWN_NOTE,
    ],
  },
};

export const COMMAND_NAMES = Object.keys(COMMAND_SPECS) as CommandName[];

/** A parsed command line, with every option of every command (false/empty where not given). */
export interface Args {
  command: CommandName;
  positional: string[];
  json: boolean;
  all: boolean;
  follow: boolean;
  /** `log --raw`: the bytes as they are. */
  raw: boolean;
  dryRun: boolean;
  yes: boolean;
  /** Absolute paths. */
  stateRoots: string[];
  graceMs: number;
  /** `wait --any`. */
  any: boolean;
  /** `wait --timeout`, in ms. */
  timeoutMs?: number;
  /** `findings --sarif`: '-' for stdout, else the file (absolute). */
  sarif?: string;
  /** `timeline --html`: '-' for stdout, else the file (absolute). */
  html?: string;
  /** `status --all-history`. */
  allHistory: boolean;
  /** `status --limit`. */
  limit?: number;
  /** `status --since`, in ms since the epoch. */
  sinceMs?: number;
  /** `guard --settle-ms`. */
  settleMs?: number;
}

export type Parsed =
  | { kind: 'run'; args: Args }
  | { kind: 'help'; text: string }
  | { kind: 'version' }
  | { kind: 'usage-error'; error: UsageError };

const TOOL_OPTIONS: Record<string, OptionSpec> = {
  help: HELP,
  version: { type: 'boolean', help: 'Print the version and exit.' },
};

/** Parses argv (without node and the script). Never throws: a usage error is a result. */
export function parseCommandLine(argv: string[]): Parsed {
  try {
    return parseOrThrow(argv);
  } catch (err) {
    if (err instanceof UsageError) return { kind: 'usage-error', error: err };
    throw err;
  }
}

function parseOrThrow(argv: string[]): Parsed {
  const first = argv[0];
  if (first === undefined) return { kind: 'run', args: toArgs('status', {}, []) };
  if (first.startsWith('-')) {
    const { values, positionals } = strictParseWithPositionals(argv, TOOL_OPTIONS, undefined);
    const topic = positionals[0];
    if (values.version && !values.help) return { kind: 'version' };
    // `codex-jobs --help status` helps with status, as `codex-jobs help status` does.
    if (topic !== undefined && !(values.help && isCommand(topic) && positionals.length === 1))
      throw new UsageError(`unexpected "${topic}" (the command comes first: codex-jobs <command> [options])`);
    return { kind: 'help', text: topic ? commandHelp(topic as CommandName) : toolHelp() };
  }
  if (first === 'help') {
    const topic = argv[1];
    if (topic === undefined) return { kind: 'help', text: toolHelp() };
    if (!isCommand(topic)) throw new UsageError(`unknown command "${topic}"`);
    if (argv.length > 2) throw new UsageError(`help takes one command name, got "${argv[2]}" too`);
    return { kind: 'help', text: commandHelp(topic) };
  }
  if (!isCommand(first)) throw new UsageError(`unknown command "${first}"`);
  const spec = COMMAND_SPECS[first];
  const rest = bareOptionalValues(argv.slice(1), spec.options);
  const { values, positionals } = strictParseWithPositionals(rest, spec.options, first);
  if (values.help) return { kind: 'help', text: commandHelp(first) };
  const max = spec.positionals.some((p) => p.variadic) ? Infinity : spec.positionals.length;
  const required = spec.positionals.filter((p) => p.required);
  if (positionals.length > max)
    throw new UsageError(
      max === 0
        ? `${first} takes no arguments, got "${positionals[0]}"`
        : `too many arguments: "${positionals[max]}" (${first} takes ${spec.positionals.map(positionalUsage).join(' ')})`,
      first,
    );
  if (positionals.length < required.length)
    throw new UsageError(`${first} needs <${required[positionals.length].name}>`, first);
  if (values.all && positionals.length > 0)
    throw new UsageError(`--all covers every workspace; it takes no path (got "${positionals[0]}")`, first);
  return { kind: 'run', args: toArgs(first, values, positionals) };
}

/**
 * An option whose value may be left out, given bare (last, or before another option), gets "-": Node's
 * parser knows only options that always take a value. `--sarif out.sarif` keeps its value.
 */
function bareOptionalValues(argv: string[], options: Record<string, OptionSpec>): string[] {
  return argv.map((t, i) => {
    const o = t.startsWith('--') ? options[t.slice(2)] : undefined;
    const next = argv[i + 1];
    return o?.optionalValue && (next === undefined || (next.startsWith('-') && next !== '-')) ? `${t}=-` : t;
  });
}

type Values = Record<string, string | boolean | (string | boolean)[] | undefined>;

function toArgs(command: CommandName, values: Values, positional: string[]): Args {
  const roots = (values['state-root'] as string[] | undefined) ?? [];
  for (const r of roots) if (r === '') throw new UsageError('--state-root needs a directory, got ""', command);
  return {
    command,
    positional,
    json: values.json === true,
    all: values.all === true,
    follow: values.follow === true,
    raw: values.raw === true,
    dryRun: values['dry-run'] === true,
    yes: values.yes === true,
    stateRoots: roots.map((r) => path.resolve(r)),
    graceMs:
      values['grace-seconds'] === undefined
        ? command === 'guard'
          ? 120_000
          : 30_000
        : seconds(values['grace-seconds'] as string, 'grace-seconds', command),
    settleMs: values['settle-ms'] === undefined ? undefined : milliseconds(values['settle-ms'] as string, command),
    any: values.any === true,
    timeoutMs: values.timeout === undefined ? undefined : seconds(values.timeout as string, 'timeout', command),
    sarif: sarifTarget(values.sarif as string | undefined, command),
    html: htmlTarget(values.html as string | undefined, command),
    allHistory: values['all-history'] === true,
    limit: values.limit === undefined ? undefined : count(values.limit as string, 'limit', command),
    sinceMs: values.since === undefined ? undefined : sinceOf(values.since as string, command),
  };
}

function count(value: string, name: string, command: CommandName): number {
  if (!/^\d{1,9}$/.test(value) || Number(value) < 1)
    throw new UsageError(`--${name} needs a whole number of at least 1, got "${value}"`, command);
  return Number(value);
}

/** `--since`: a date or time (as Date.parse reads it), or a span back from now (`12h`, `7d`). */
function sinceOf(value: string, command: CommandName, now = Date.now()): number {
  const span = /^(\d{1,6})([hd])$/.exec(value);
  if (span) return now - Number(span[1]) * (span[2] === 'h' ? 3_600_000 : 86_400_000);
  const ms = Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(ms))
    throw new UsageError(`--since needs a date (2026-12-01, an ISO time) or a span (12h, 7d), got "${value}"`, command);
  return ms;
}

function sarifTarget(value: string | undefined, command: CommandName): string | undefined {
  if (value === undefined || value === '-') return value;
  if (value === '') throw new UsageError('--sarif needs a file name, or none for stdout', command);
  return path.resolve(value);
}

function htmlTarget(value: string | undefined, command: CommandName): string | undefined {
  if (value === undefined || value === '-') return value;
  if (value === '') throw new UsageError('--html needs a file name, or "-" for stdout', command);
  return path.resolve(value);
}

/** A non-negative number of seconds ("5", "0.5"); anything else is a usage error. */
function seconds(text: string, option: string, command: CommandName): number {
  if (!/^\d+(\.\d+)?$/.test(text.trim()))
    throw new UsageError(`--${option} needs a number of seconds, got "${text}"`, command);
  return Number(text) * 1000;
}

/** A whole, non-negative number of milliseconds (`--settle-ms 500`). */
function milliseconds(text: string, command: CommandName): number {
  if (!/^\d+$/.test(text.trim()))
    throw new UsageError(`--settle-ms needs a whole number of milliseconds, got "${text}"`, command);
  return Number(text);
}

function isCommand(name: string): name is CommandName {
  return Object.prototype.hasOwnProperty.call(COMMAND_SPECS, name);
}

function nodeOptions(options: Record<string, OptionSpec>) {
  return Object.fromEntries(
    // Node validates every key given, so only the ones set are passed.
    Object.entries(options).map(([name, o]) => [
      name,
      { type: o.type, ...(o.short ? { short: o.short } : {}), ...(o.multiple ? { multiple: true } : {}) },
    ]),
  );
}

function strictParseWithPositionals(
  argv: string[],
  options: Record<string, OptionSpec>,
  command: CommandName | undefined,
): { values: Values; positionals: string[] } {
  try {
    const r = nodeParseArgs({ args: argv, options: nodeOptions(options), allowPositionals: true, strict: true });
    return { values: r.values as Values, positionals: r.positionals };
  } catch (err) {
    throw new UsageError(explain(argv, options, err), command);
  }
}

/**
 * Node's strict errors, said plainly: a second, lenient pass over the tokens finds the culprit
 * (Node's own message is the fallback).
 */
function explain(argv: string[], options: Record<string, OptionSpec>, err: unknown): string {
  const { tokens } = nodeParseArgs({
    args: argv,
    options: nodeOptions(options),
    allowPositionals: true,
    strict: false,
    tokens: true,
  });
  for (const t of tokens) {
    if (t.kind !== 'option') continue;
    const o = options[t.name];
    if (!o) return `unknown option "${t.rawName}"`;
    if (o.type === 'boolean' && t.value !== undefined) return `option "${t.rawName}" takes no value (got "${t.value}")`;
    if (o.type === 'string' && t.value === undefined)
      return `option "${t.rawName}" needs a value: ${t.rawName} <${o.value}>`;
    if (o.type === 'string' && !t.inlineValue && t.value?.startsWith('-'))
      return `option "${t.rawName}" needs a value, got the option "${t.value}" (use ${t.rawName}=${t.value} if that is the value)`;
  }
  return (err as Error).message;
}

function positionalUsage(p: PositionalSpec): string {
  const name = p.variadic ? `${p.name}…` : p.name;
  return p.required ? `<${name}>` : `[${name}]`;
}

function optionUsage(name: string, o: OptionSpec): string {
  const value = o.optionalValue ? ` [${o.value}]` : ` <${o.value}>`;
  const long = `--${name}${o.type === 'string' ? value : ''}`;
  return o.short ? `-${o.short}, ${long}` : `    ${long}`;
}

function table(rows: [string, string][]): string[] {
  const w = Math.max(...rows.map((r) => r[0].length));
  return rows.map(([a, b]) => `  ${a.padEnd(w)}  ${b}`);
}

export function commandUsage(name: CommandName): string {
  const spec = COMMAND_SPECS[name];
  return ['codex-jobs', name, '[options]', ...spec.positionals.map(positionalUsage)].join(' ');
}

export function commandHelp(name: CommandName): string {
  const spec = COMMAND_SPECS[name];
  const lines = [`usage: ${commandUsage(name)}`, '', spec.summary];
  if (spec.positionals.length) lines.push('', 'Arguments:', ...table(spec.positionals.map((p) => [p.name, p.help])));
  lines.push(
    '',
    'Options:',
    ...table(Object.entries(spec.options).map(([n, o]) => [optionUsage(n, o), o.help] as [string, string])),
  );
  if (spec.notes) lines.push('', ...spec.notes);
  lines.push('', spec.exitCodes ?? EXIT_CODES);
  return lines.join('\n');
}

const EXIT_CODES = 'Exit status: 0 done (warnings included), 1 failed or declined, 2 usage error.';

export function toolHelp(): string {
  return [
    'usage: codex-jobs <command> [options] [arguments]',
    '',
    'See, follow and clean up Codex companion jobs, with statuses verified against the OS.',
    '',
    'Commands:',
    ...table(COMMAND_NAMES.map((n) => [n, COMMAND_SPECS[n].summary])),
    '',
    'Options:',
    ...table(Object.entries(TOOL_OPTIONS).map(([n, o]) => [optionUsage(n, o), o.help])),
    '',
    'With no command, `status` runs. `codex-jobs <command> --help` (or `codex-jobs help <command>`)',
    'says what each option of a command does.',
    '',
    EXIT_CODES,
  ].join('\n');
}

/** Where a usage error points the user. */
export function helpHint(command?: CommandName): string {
  return command ? `Try 'codex-jobs ${command} --help'.` : "Try 'codex-jobs --help'.";
}
