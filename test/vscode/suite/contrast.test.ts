// The icon colours against the side bars of the very themes this VS Code ships.
import * as assert from 'assert';
import { readFileSync } from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { builtInThemes, type ColorContribution, lowContrast } from '../../fixtures/contrast';

suite('Icon contrast', () => {
  test('every icon colour is at least 3:1 on every theme of this VS Code', () => {
    const ext = vscode.extensions.getExtension('codex-jobs.codex-jobs')!;
    const colors = (ext.packageJSON as { contributes: { colors: ColorContribution[] } }).contributes.colors;
    const dir = path.join(vscode.env.appRoot, 'extensions', 'theme-defaults');
    readFileSync(path.join(dir, 'package.json')); // the built-in themes are there to read
    const themes = builtInThemes(dir);
    assert.ok(themes.length >= 6, `${themes.length} themes`);
    assert.deepStrictEqual(lowContrast(colors, themes), []);
  });
});
