// Status icons meet 3:1 against the side bar of every built-in theme, light, dark and high contrast.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  builtInThemes,
  type ColorContribution,
  contrast,
  findThemeDefaults,
  KNOWN_THEMES,
  lowContrast,
} from '../fixtures/contrast';

const root = path.join(__dirname, '..', '..', '..');
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
const colors = pkg.contributes.colors as ColorContribution[];

test('the contrast formula: black on white is 21:1, and the light themes failed with the old colours', () => {
  assert.equal(contrast('#000000', '#FFFFFF').toFixed(0), '21');
  // VS Code's testing.iconPassed and disabledForeground, as the icons were drawn before.
  assert.ok(contrast('#73C991', '#F8F8F8') < 3 && contrast('#73C991', '#F3F3F3') < 3);
});

test('every icon colour is at least 3:1 on every built-in theme', () => {
  assert.ok(colors.length >= 6, 'the extension contributes its icon colours');
  const cache = process.env.CODEX_JOBS_VSCODE_CACHE ?? path.join(os.homedir(), '.cache', 'codex-jobs-vscode');
  const dir = findThemeDefaults([cache]);
  const themes = dir ? builtInThemes(dir) : KNOWN_THEMES;
  assert.deepEqual(lowContrast(colors, themes), [], `themes from ${dir ?? 'the known list'}`);
});

const STATUS_BAR_BACKGROUNDS = ['statusBarItem.warningBackground', 'statusBarItem.errorBackground'];

test('tree icons take their colour from that list only', () => {
  const uiDir = path.join(root, 'src', 'ui');
  const offenders: string[] = [];
  for (const f of readdirSync(uiDir, { recursive: true }) as string[]) {
    if (!f.endsWith('.ts') || f === 'iconColors.ts') continue;
    const text = readFileSync(path.join(uiDir, f), 'utf8');
    for (const m of text.matchAll(/new vscode\.ThemeColor\('([^']+)'\)/g))
      // A status bar item's background takes one of these two only (VS Code ignores any other).
      if (!STATUS_BAR_BACKGROUNDS.includes(m[1])) offenders.push(`${f}: ${m[1]}`);
  }
  assert.deepEqual(offenders, []);
});
