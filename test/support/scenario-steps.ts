// A long journey as one test per step: the steps run in order inside the
// caller's describe and share its state, each with its own timeout, so a
// failure names the step instead of "runs end to end". After a failed step
// the rest are skipped, naming it: they would only fail for the same reason.
import { it } from 'vitest';

export interface ScenarioStep {
  name: string;
  timeoutMs: number;
  run(): Promise<void>;
}

/** Registers `steps` as tests of the enclosing describe. */
export function scenarioSteps(steps: ScenarioStep[]): void {
  let failed: string | null = null;
  for (const step of steps) {
    it(
      step.name,
      async ({ skip, onTestFailed }) => {
        if (failed) skip(`an earlier step failed: ${failed}`);
        // Also a timeout, where the step's own code never gets to catch anything.
        onTestFailed(() => {
          failed ??= step.name;
        });
        await step.run();
      },
      step.timeoutMs,
    );
  }
}
