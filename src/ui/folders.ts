// The workspace folders the model follows, kept in step with the editor's.
import * as vscode from 'vscode';
import type { WorkspaceFolderRef } from '../core/model/model';

export function workspaceFolderRefs(): WorkspaceFolderRef[] {
  return (vscode.workspace.workspaceFolders ?? [])
    .filter((f) => f.uri.scheme === 'file')
    .map((f) => ({ path: f.uri.fsPath, name: f.name }));
}
