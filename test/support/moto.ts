// The moto AWS emulator for tests: uses MOTO_ENDPOINT when .ci/run started
// one, otherwise starts its own on a free loopback port when this machine's
// Python has moto; reports why not when it cannot.
import { execa, type ResultPromise } from 'execa';
import { freePort } from '../../src/delivery/providers/local/local-instances.js';

export type Moto = { available: true; endpoint: string; reset(): Promise<void>; stop(): Promise<void> };
export type NoMoto = { available: false; reason: string };

export async function startMoto(): Promise<Moto | NoMoto> {
  const shared = process.env.MOTO_ENDPOINT;
  if (shared && (await reachable(shared))) {
    return { available: true, endpoint: shared, reset: () => reset(shared), stop: async () => {} };
  }
  const python = await findPython();
  if (!python) return { available: false, reason: 'no python with moto and flask_cors (python3 -m pip install "moto[server]")' };
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const child: ResultPromise = execa(python, ['-m', 'moto.server', '-H', '127.0.0.1', '-p', String(port)], { reject: false, stdio: 'ignore' });
  for (let i = 0; i < 150 && !(await reachable(endpoint)); i++) await new Promise((resolve) => setTimeout(resolve, 100));
  if (!(await reachable(endpoint))) {
    child.kill();
    return { available: false, reason: `moto did not start on ${endpoint}` };
  }
  return {
    available: true,
    endpoint,
    reset: () => reset(endpoint),
    stop: async () => {
      child.kill();
      await child;
    },
  };
}

async function findPython(): Promise<string | undefined> {
  for (const candidate of [process.env.MOTO_PYTHON, 'python3', '/usr/bin/python3'].filter(Boolean) as string[]) {
    const probe = await execa(candidate, ['-c', 'import moto, flask_cors'], { reject: false });
    if (probe.exitCode === 0) return candidate;
  }
  return undefined;
}

async function reachable(endpoint: string): Promise<boolean> {
  try {
    return (await fetch(`${endpoint}/moto-api/`, { signal: AbortSignal.timeout(1000) })).ok;
  } catch {
    return false;
  }
}

async function reset(endpoint: string): Promise<void> {
  await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
}
