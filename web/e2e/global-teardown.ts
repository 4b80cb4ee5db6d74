import { rmSync } from 'node:fs';
import { readState } from './server';

export default async function globalTeardown(): Promise<void> {
  const state = readState();
  try {
    process.kill(state.pid, 'SIGTERM');
  } catch {
    // Already gone.
  }
  await new Promise((resolve) => setTimeout(resolve, 500));
  rmSync(state.workDir, { recursive: true, force: true });
}
