// The figures a benchmark prints: each said on stderr as it is measured, then one table on stdout.
export type Row = (what: string, figure: string, target?: string, ok?: boolean) => void;

export class FigureTable {
  private readonly rows: [string, string, string, string][] = [];

  readonly row: Row = (what, figure, target = '', ok) => {
    this.rows.push([what, figure, target, ok === undefined ? '' : ok ? 'met' : 'MISSED']);
    console.error(`  ${what}: ${figure}`);
  };

  print(): void {
    const w = [0, 1, 2, 3].map((i) =>
      Math.max(...this.rows.map((r) => r[i].length), ['measure', 'figure', 'target', ''][i].length),
    );
    const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(w[i])).join(' | ')} |`;
    console.log(line(['measure', 'figure', 'target', 'result']));
    console.log(`|${w.map((n) => '-'.repeat(n + 2)).join('|')}|`);
    for (const r of this.rows) console.log(line(r));
  }
}

export const ms = (n: number) => `${n.toFixed(2)} ms`;
export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
export const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))];
export const now = () => Number(process.hrtime.bigint()) / 1e6;
