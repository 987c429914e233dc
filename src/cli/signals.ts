// Long-running commands (watch, log --follow) run until Ctrl-C, SIGTERM, or their reader goes away.
import type { Output } from './output';

export type StopReason = 'SIGINT' | 'SIGTERM' | 'closed';

export function untilStopped(io: Output): Promise<StopReason> {
  return new Promise((resolve) => {
    const onInt = () => done('SIGINT');
    const onTerm = () => done('SIGTERM');
    const done = (why: StopReason) => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      resolve(why);
    };
    process.once('SIGINT', onInt);
    process.once('SIGTERM', onTerm);
    void io.whenClosed.then(() => done('closed'));
  });
}
