// What every AWS operation of the provider works with: the environment's SDK
// clients and resource names, and how to run calls that do not depend on
// each other (in parallel, or one at a time for the status benchmark's
// baseline).
import type { AwsClients } from './aws-clients.js';
import type { AwsNames } from './aws-names.js';

type Tasks<T extends readonly unknown[]> = { [K in keyof T]: () => Promise<T[K]> };

/** Runs independent calls and returns their results in order (`| []` lets TypeScript infer the tuple). */
export type RunIndependent = <T extends readonly unknown[] | []>(tasks: Tasks<T>) => Promise<T>;

export interface AwsContext {
  clients: AwsClients;
  names: AwsNames;
  all: RunIndependent;
}

async function inParallel<T extends readonly unknown[]>(tasks: Tasks<T>): Promise<T> {
  return (await Promise.all(tasks.map((task) => task()))) as unknown as T;
}

async function oneAtATime<T extends readonly unknown[]>(tasks: Tasks<T>): Promise<T> {
  const results: unknown[] = [];
  for (const task of tasks) results.push(await task());
  return results as unknown as T;
}

export function runIndependent(sequential: boolean): RunIndependent {
  return sequential ? oneAtATime : inParallel;
}
