import { Logger } from '@nestjs/common';

interface Closable {
  close(): Promise<void>;
}

/**
 * On SIGTERM or SIGINT: close the app (its shutdown hooks finish active work), then exit 0.
 * Nest's own hooks re-raise the signal instead, which supervisors read as a kill, not a stop.
 * A second signal while closing exits at once.
 */
export function closeOnSignals(app: Closable, context: string): void {
  let closing = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (closing) {
      Logger.warn(`${signal} again: exiting without waiting`, context);
      process.exit(1);
    }
    closing = true;
    Logger.log(`${signal}: shutting down`, context);
    app.close().then(
      () => process.exit(0),
      (error: Error) => {
        Logger.error(`shutdown failed: ${error.message}`, context);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
