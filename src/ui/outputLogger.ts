// The core's logger, written to the extension's LogOutputChannel.
import type * as vscode from 'vscode';
import type { Logger } from '../core/vocab/emitter';

export function outputLogger(out: vscode.LogOutputChannel): Logger {
  return {
    debug: (m) => out.debug(m),
    info: (m) => out.info(m),
    warn: (m) => out.warn(m),
    error: (m) => out.error(m),
  };
}
