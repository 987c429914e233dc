// package.json and src/ui/ids.ts name the same commands, views and settings, and every manifest
// string placeholder (%key%) has its English text in package.nls.json.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { COMMANDS, SECTION, SETTINGS, VIEWS } from '../../src/ui/ids';

const root = path.join(__dirname, '..', '..', '..');
const pkgText = readFileSync(path.join(root, 'package.json'), 'utf8');
const pkg = JSON.parse(pkgText);
const nls = JSON.parse(readFileSync(path.join(root, 'package.nls.json'), 'utf8')) as Record<string, string>;

test('the 16 original command ids are kept, and ids.ts and package.json list the same commands', () => {
  const original = [
    'refresh',
    'openLog',
    'showResult',
    'copyJobId',
    'revealStateDir',
    'showJobRecord',
    'showSearchedLocations',
    'reapOrphanBrokers',
    'stopBroker',
    'startReview',
    'startAdversarialReview',
    'startRescueTask',
    'cancelJob',
    'restoreToIndex',
    'restoreRecord',
    'markStaleFailed',
  ].map((c) => `codexJobs.${c}`);
  const declared: string[] = (pkg.contributes.commands as { command: string }[]).map((c) => c.command).sort();
  for (const id of original) assert.ok(declared.includes(id), id);
  assert.deepEqual(declared.slice(), Object.values(COMMANDS).sort());
  const used = new Set<string>();
  for (const list of Object.values(pkg.contributes.menus) as { command: string }[][])
    for (const m of list) used.add(m.command);
  for (const c of used) assert.ok(declared.includes(c), `menu names an undeclared command ${c}`);
});

test('views and settings', () => {
  const views = (pkg.contributes.views.codexJobs as { id: string }[]).map((v) => v.id);
  assert.deepEqual(views.sort(), [VIEWS.brokers, VIEWS.jobs].sort());
  const props = Object.keys(pkg.contributes.configuration.properties).sort();
  // Other features may add settings of their own; every key ids.ts names must exist.
  for (const k of Object.values(SETTINGS)) assert.ok(props.includes(`${SECTION}.${k}`), k);
});

test('every %key% of package.json has an English text', () => {
  const keys = [...pkgText.matchAll(/"%([^%"]+)%"/g)].map((m) => m[1]);
  assert.ok(keys.length > 40, `${keys.length} localized manifest strings`);
  for (const k of keys) assert.ok(typeof nls[k] === 'string' && nls[k].length > 0, k);
  for (const k of Object.keys(nls)) assert.ok(keys.includes(k), `unused nls key ${k}`);
});
