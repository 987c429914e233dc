// The native review's findings and findings across reviews in a real VS Code: a native review's text
// reaches the Problems panel, the rows and Show Result; three reviews of one target show new, still
// open and not reported again; Export Findings as SARIF… writes a file valid against the SARIF 2.1.0
// schema and refuses a link or a name inside a state dir.
import * as assert from 'assert';
import { promises as fs, readFileSync } from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import Ajv from 'ajv';
import type { CodexJobsApi } from '../../../src/extension';
import type { JobNode, JobsNode } from '../../../src/ui/jobsTree';
import { resolveWorkspaceRoot, stateDirName } from '../../../src/core/discovery/discovery';
import { nativeReviewRecord as nativeRecord } from '../../fixtures/nativeReviews';
import { jobNodeOf, until } from './treeHelpers';

const EXT = 'codex-jobs.codex-jobs';
const SOURCE = 'Codex review';
const REPO = path.join(__dirname, '..', '..', '..', '..');

/** Codex Jobs' diagnostics per job id (their code). */
function diagnosticsOf(id: string): vscode.Diagnostic[] {
  return vscode.languages
    .getDiagnostics()
    .flatMap(([, ds]) => ds)
    .filter((d) => d.source === SOURCE && d.code === id);
}

suite('Native review findings, findings across reviews, SARIF', function () {
  this.timeout(120_000);
  let a: CodexJobsApi;
  let root: string;
  let stateDir: string;
  let ws: string;
  let out: string;
  const config = () => vscode.workspace.getConfiguration('codexJobs');
  const jobs: Record<string, unknown>[] = [];

  async function writeState(): Promise<void> {
    await fs.mkdir(path.join(stateDir, 'jobs'), { recursive: true });
    for (const j of jobs) await fs.writeFile(path.join(stateDir, 'jobs', `${String(j.id)}.json`), JSON.stringify(j));
    const entries = jobs.map((j) => ({ id: j.id, kind: j.kind, status: j.status, pid: j.pid, updatedAt: j.updatedAt }));
    await fs.writeFile(path.join(stateDir, 'state.json'), JSON.stringify({ version: 1, config: {}, jobs: entries }));
    await a.model.refresh();
    await a.findings.settled();
  }

  function jobNode(id: string): JobNode {
    const node = jobNodeOf(a, id);
    assert.ok(node, `${id} is in the tree`);
    return node;
  }

  /** A node's children as [label, description]. */
  function rowsOf(node: JobsNode): { node: JobsNode; label: string; description: string }[] {
    return (a.jobsTree.getChildren(node) as JobsNode[])
      .filter((n) => n.type === 'finding' || n.type === 'notReported')
      .map((n) => {
        const item = a.jobsTree.getTreeItem(n);
        return { node: n, label: String(item.label), description: String(item.description ?? '') };
      });
  }

  suiteSetup(async () => {
    a = (await vscode.extensions.getExtension<CodexJobsApi>(EXT)!.activate()) as CodexJobsApi;
    ws = vscode.workspace.workspaceFolders![0].uri.fsPath;
    root = await fs.mkdtemp(path.join(process.env.CODEX_JOBS_TEST_TMP ?? os.tmpdir(), 'series-root-'));
    out = await fs.mkdtemp(path.join(process.env.CODEX_JOBS_TEST_TMP ?? os.tmpdir(), 'series-out-'));
    stateDir = path.join(root, await stateDirName(await resolveWorkspaceRoot(ws)));
    await fs.mkdir(path.join(ws, 'src'), { recursive: true });
    await fs.writeFile(
      path.join(ws, 'src', 'app.js'),
      Array.from({ length: 120 }, (_, i) => `line ${i + 1}`).join('\n'),
    );
    await config().update('stateRoots', [root], vscode.ConfigurationTarget.Global);
  });

  suiteTeardown(async () => {
    await config().update('stateRoots', undefined, vscode.ConfigurationTarget.Global);
    await fs.rm(root, { recursive: true, force: true });
    await fs.rm(out, { recursive: true, force: true });
    await fs.rm(path.join(ws, 'src'), { recursive: true, force: true });
  });

  test("a native review's findings reach the Problems panel, its row and Show Result; a clean one stays text", async () => {
    jobs.push(nativeRecord('review-ser00-clean0', ws, '2026-11-23T23:00:00.000Z', []));
    jobs.push(
      nativeRecord('review-ser01-aaaaaa', ws, '2026-11-24T01:00:00.000Z', [
        ['P1', 'Unchecked null in the loader', 'src/app.js', 10],
        ['P2', 'Cache never evicts', 'src/app.js', 40],
      ]),
    );
    await writeState();
    await until('the native findings in the Problems panel', () => diagnosticsOf('review-ser01-aaaaaa').length === 2);
    const d = diagnosticsOf('review-ser01-aaaaaa').find((x) => x.message.includes('Unchecked null'))!;
    assert.strictEqual(d.severity, vscode.DiagnosticSeverity.Error, 'P1 is high, an error');
    assert.strictEqual(d.range.start.line, 9);
    assert.strictEqual(d.range.end.line, 11);

    const clean = jobNode('review-ser00-clean0');
    assert.strictEqual(
      a.jobsTree.getTreeItem(clean).collapsibleState,
      vscode.TreeItemCollapsibleState.None,
      'a clean review has no finding rows',
    );
    const cleanUri = await vscode.commands.executeCommand<vscode.Uri>('codexJobs.showResult', clean.job);
    const cleanText = (await vscode.workspace.openTextDocument(cleanUri!)).getText();
    assert.match(cleanText, /No material issues found\./);
    assert.doesNotMatch(cleanText, /## Findings|⚠/, 'text stays text, with no warning');

    const node = jobNode('review-ser01-aaaaaa');
    assert.match(String(a.jobsTree.getTreeItem(node).contextValue), /\bhasFindings\b.*\bsarif\b/);
    const rows = rowsOf(node);
    assert.deepStrictEqual(
      rows.map((r) => r.label),
      ['Unchecked null in the loader', 'Cache never evicts'],
    );
    // The first review of its target with findings: compared with the clean one before it, both new.
    // Codex names files by absolute path: shown relative to the workspace.
    assert.strictEqual(rows[0].description, 'new · high · src/app.js:10-12');
    const uri = await vscode.commands.executeCommand<vscode.Uri>('codexJobs.showResult', node.job);
    const text = (await vscode.workspace.openTextDocument(uri!)).getText();
    assert.match(text, /## Findings \(2\)/);
    assert.match(text, /\*\*\[high\] Unchecked null in the loader\*\*/);
    assert.match(text, /\[src\/app\.js:10-12\]\(file:\/\/[^)]*src\/app\.js#L10\)/);
  });

  test('three reviews of one target: new, still open (moved 12 lines), not reported again; the Problems panel holds the newest', async () => {
    jobs.push(
      nativeRecord('review-ser02-bbbbbb', ws, '2026-11-24T02:00:00.000Z', [
        ['P1', 'Unchecked null in the loader', 'src/app.js', 10],
        ['P2', 'Cache never evicts', 'src/app.js', 40],
        ['P3', 'Log line names the wrong file', 'src/app.js', 70],
      ]),
      nativeRecord('review-ser03-cccccc', ws, '2026-11-24T03:00:00.000Z', [
        ['P2', 'Cache never evicts', 'src/app.js', 52],
        ['P1', 'Timeout is ignored on retry', 'src/app.js', 5],
        ['P3', 'Log line names the wrong file', 'src/app.js', 82],
      ]),
    );
    await writeState();
    await until('the newest review in the Problems panel', () => diagnosticsOf('review-ser03-cccccc').length === 3);
    assert.strictEqual(diagnosticsOf('review-ser02-bbbbbb').length, 0, "the older reviews' are gone");
    assert.strictEqual(diagnosticsOf('review-ser01-aaaaaa').length, 0);

    const rows = rowsOf(jobNode('review-ser03-cccccc'));
    assert.deepStrictEqual(
      rows.map((r) => [r.label, r.description.split(' · ')[0]]),
      [
        ['Cache never evicts', 'still open'],
        ['Timeout is ignored on retry', 'new'],
        ['Log line names the wrong file', 'still open'],
        ['1 finding not reported again', rows[3].description],
      ],
    );
    assert.match(rows[3].description, /^since the review of /);
    const gone = rows[3].node;
    assert.strictEqual(gone.type, 'notReported');
    const goneRows = rowsOf(gone);
    assert.deepStrictEqual(
      goneRows.map((r) => [r.label, r.description]),
      [['Unchecked null in the loader', 'not reported again · high · src/app.js:10-12']],
    );
    assert.strictEqual(a.jobsTree.getParent(goneRows[0].node), gone);
    // It opens in the earlier review's file.
    const item = a.jobsTree.getTreeItem(goneRows[0].node);
    const earlier = jobNode('review-ser02-bbbbbb').job;
    assert.deepStrictEqual(item.command?.arguments, [{ stateDir: earlier.stateDir, id: earlier.id, index: 0 }]);
    const opened = await vscode.commands.executeCommand<vscode.Uri>(item.command!.command, ...item.command!.arguments!);
    assert.strictEqual(opened?.fsPath, path.join(ws, 'src', 'app.js'));
    assert.strictEqual(vscode.window.activeTextEditor?.selection.start.line, 9);

    // The middle review keeps its own comparison (with the first): one new, two still open.
    assert.deepStrictEqual(
      rowsOf(jobNode('review-ser02-bbbbbb')).map((r) => r.description.split(' · ')[0]),
      ['still open', 'still open', 'new'],
    );

    const uri = await vscode.commands.executeCommand<vscode.Uri>(
      'codexJobs.showResult',
      jobNode('review-ser03-cccccc').job,
    );
    const text = (await vscode.workspace.openTextDocument(uri!)).getText();
    assert.match(text, /1 new, 2 still open, 1 not reported again/);
    assert.match(text, /Cache never evicts\*\* \([^\n]*\) — _still open, moved 12 lines down_/);
    assert.match(text, /Timeout is ignored on retry\*\* \([^\n]*\) — _new_/);
    assert.match(text, /## Not reported again \(1\)/);
    assert.match(text, /may be fixed, or reworded or missed/);
    assert.doesNotMatch(text, /\bfixed\b(?!, or)/, 'never claims a finding was fixed');
  });

  test('Export Findings as SARIF… writes a valid SARIF 2.1.0 file; a link or a state dir is refused', async () => {
    const job = jobNode('review-ser03-cccccc').job;
    const target = path.join(out, 'review.sarif');
    const uri = await vscode.commands.executeCommand<vscode.Uri>('codexJobs.exportFindingsSarif', job, { target });
    assert.strictEqual(uri?.fsPath, target);
    const log = JSON.parse(await fs.readFile(target, 'utf8')) as {
      version: string;
      runs: {
        tool: { driver: { name: string; version: string } };
        results: unknown[];
        properties: Record<string, unknown>;
      }[];
    };
    const ajv = new Ajv({ strict: false, allErrors: true, unicodeRegExp: false });
    ajv.addFormat('uri', (s: string) => URL.canParse(s));
    ajv.addFormat('uri-reference', (s: string) => !/\s/.test(s) && URL.canParse(s, 'file:///base/'));
    ajv.addFormat('date-time', (s: string) => !Number.isNaN(Date.parse(s)));
    const validate = ajv.compile(
      JSON.parse(readFileSync(path.join(REPO, 'test', 'fixtures', 'sarif-schema-2.1.0.json'), 'utf8')) as object,
    );
    assert.ok(validate(log), JSON.stringify(validate.errors, null, 1));
    const run = log.runs[0];
    assert.strictEqual(run.tool.driver.name, 'codex-jobs');
    const pkg = JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { version: string };
    assert.strictEqual(run.tool.driver.version, pkg.version);
    assert.strictEqual(run.results.length, 3);
    assert.strictEqual(run.properties.jobId, 'review-ser03-cccccc');
    assert.deepStrictEqual(run.properties.reviewTarget, { mode: 'working-tree', label: 'working tree diff' });
    assert.match(JSON.stringify(run.results[0]), /"uri":"src\/app\.js"/);

    // A link at the name, and a name inside the state dir: refused, nothing written.
    const victim = path.join(out, 'victim.txt');
    await fs.writeFile(victim, 'keep');
    await fs.symlink(victim, path.join(out, 'link.sarif'));
    const viaLink = await vscode.commands.executeCommand('codexJobs.exportFindingsSarif', job, {
      target: path.join(out, 'link.sarif'),
    });
    assert.strictEqual(viaLink, undefined);
    assert.strictEqual(await fs.readFile(victim, 'utf8'), 'keep');
    const inState = path.join(stateDir, 'jobs', 'x.sarif');
    assert.strictEqual(
      await vscode.commands.executeCommand('codexJobs.exportFindingsSarif', job, { target: inState }),
      undefined,
    );
    await assert.rejects(fs.stat(inState));
  });
});
