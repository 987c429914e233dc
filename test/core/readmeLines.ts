// The command lines the README shows a reader, as a reader would copy them: each line of a ```sh
// block (its trailing `# comment` dropped), and each inline code span that starts with a command
// this project documents (`codex-jobs`, `npm`, `npx`, `node`). Used by readme.test.ts.

export interface ReadmeLine {
  /** The command as written, whitespace collapsed (a code span may wrap across lines). */
  line: string;
  /** Where it is: `README.md:<line> (sh block)` or `README.md:<line> (inline)`. */
  at: string;
}

/**
 * A code span is a command line when it starts with one of these and a space (`node` alone names the
 * program); `codex-jobs` alone is a command line too (with no command, `status` runs).
 */
const COMMAND_START = /^(codex-jobs(\s|$)|(npm|npx|node)\s)/;

/** Every command line of the README, in the order they appear, each once (the first place it is shown). */
export function readmeCommandLines(md: string): ReadmeLine[] {
  const out: ReadmeLine[] = [];
  const seen = new Set<string>();
  const add = (line: string, at: string) => {
    const l = line.replace(/\s+/g, ' ').trim();
    if (!l || seen.has(l)) return;
    seen.add(l);
    out.push({ line: l, at });
  };
  const lines = md.split('\n');
  // Prose, with every fenced block blanked out (kept as empty lines so line numbers stay right).
  const prose: string[] = [];
  let fence: string | undefined;
  for (let i = 0; i < lines.length; i++) {
    const open = /^\s*```(\S*)/.exec(lines[i]);
    if (fence === undefined && open) {
      fence = open[1];
      prose.push('');
      continue;
    }
    if (fence !== undefined && /^\s*```\s*$/.test(lines[i])) {
      fence = undefined;
      prose.push('');
      continue;
    }
    if (fence !== undefined) {
      if (fence === 'sh' || fence === 'bash' || fence === 'shell' || fence === 'console') {
        const cmd = lines[i].replace(/(^|\s)#.*$/, '').trim();
        if (cmd) add(cmd, `README.md:${i + 1} (${fence} block)`);
      }
      prose.push('');
      continue;
    }
    prose.push(lines[i]);
  }
  // Inline code spans, which may wrap onto the next line (a single backtick pair; no nested ones here).
  const text = prose.join('\n');
  for (const m of text.matchAll(/`([^`]+)`/g)) {
    const span = m[1].replace(/\s+/g, ' ').trim();
    if (!COMMAND_START.test(span)) continue;
    const lineNo = text.slice(0, m.index).split('\n').length;
    add(span, `README.md:${lineNo} (inline)`);
  }
  return out;
}

/** The commands of the README's command table (`codex-jobs <command> …` synopsis rows), in order. */
export function tableCommands(md: string): string[] {
  const names: string[] = [];
  for (const m of md.matchAll(/^\| `codex-jobs ([a-z]+)[^`]*` \|/gm)) if (!names.includes(m[1])) names.push(m[1]);
  return names;
}

/**
 * The concrete command lines a synopsis stands for: each `[optional part]` in and out (every
 * combination), `<command>` as each of `commands`. A line without either is itself.
 */
export function expandSynopsis(line: string, commands: string[]): string[] {
  if (line.includes('<command>'))
    return commands.flatMap((c) => expandSynopsis(line.replace('<command>', c), commands));
  const m = /\s*\[([^\]]*)\]/.exec(line);
  if (!m) return [line];
  const without = line.slice(0, m.index) + line.slice(m.index + m[0].length);
  const withIt = line.slice(0, m.index) + ` ${m[1]}` + line.slice(m.index + m[0].length);
  return [...expandSynopsis(withIt, commands), ...expandSynopsis(without, commands)].map((l) =>
    l.replace(/\s+/g, ' ').trim(),
  );
}
