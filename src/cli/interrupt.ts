// Ctrl-C during a deploy: the first SIGINT (or SIGTERM) asks the operation to
// stop cleanly (the current hook is stopped, the deployment recorded as
// Stopped, the lock released); a second one exits at once.
export interface Interrupt {
  signal: AbortSignal;
  dispose(): void;
}

export function onInterrupt(notify: (message: string) => void): Interrupt {
  const controller = new AbortController();
  let count = 0;
  const handler = (name: NodeJS.Signals) => {
    count++;
    if (count === 1) {
      notify(`${name}: stopping the deployment cleanly (press Ctrl-C again to quit at once)`);
      controller.abort(new Error(name));
    } else {
      process.exit(130);
    }
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    signal: controller.signal,
    dispose() {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}
