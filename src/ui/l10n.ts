// The translator handed to the core's text functions: the editor's own `vscode.l10n.t`.
import * as vscode from 'vscode';
import type { Translate } from '../core/vocab/format';

export const t: Translate = (message, ...args) => vscode.l10n.t(message, ...args);
