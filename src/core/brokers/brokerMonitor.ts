// Keeps the latest broker scan and tells listeners when it changes. Scans run on demand (view shown,
// refresh, after reaping, when the jobs model is rebuilt), never on a timer.
import { Emitter, type Logger, silentLogger } from '../vocab/emitter';
import { scanBrokers, type BrokerClass, type BrokerScan, type BrokerScanOptions } from './brokers';

export type BrokerCounts = Record<BrokerClass, number>;

export class BrokerMonitor {
  private readonly changed = new Emitter<BrokerScan>();
  readonly onDidChange = this.changed.event;
  private last: BrokerScan | undefined;
  private inFlight: Promise<BrokerScan> | undefined;
  private again = false;

  constructor(
    private readonly options: () => BrokerScanOptions,
    private readonly logger: Logger = silentLogger,
  ) {}

  get scan(): BrokerScan | undefined {
    return this.last;
  }

  counts(): BrokerCounts {
    const c: BrokerCounts = { 'in-use': 0, 'orphan-live': 0, unknown: 0, starting: 0, dead: 0, foreign: 0 };
    for (const e of this.last?.entries ?? []) c[e.class]++;
    return c;
  }

  /** Scans now; calls during a scan share it and cause one more. */
  rescan(): Promise<BrokerScan> {
    if (this.inFlight) {
      this.again = true;
      return this.inFlight;
    }
    this.inFlight = (async () => {
      let scan: BrokerScan;
      do {
        this.again = false;
        try {
          scan = await scanBrokers(this.options());
        } catch (err) {
          this.logger.warn(`broker scan failed: ${String(err)}`);
          scan = {
            entries: [],
            warnings: [{ file: '', message: `broker scan failed: ${String(err)}` }],
            stateRoots: [],
            brokerRoots: [],
            scannedAtMs: Date.now(),
          };
        }
      } while (this.again);
      this.last = scan;
      this.inFlight = undefined;
      this.changed.fire(scan);
      return scan;
    })();
    return this.inFlight;
  }

  dispose(): void {
    this.changed.dispose();
  }
}
