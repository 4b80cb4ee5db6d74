/**
 * Polls `check` until it returns something other than undefined, or fails
 * after `withinMs` naming what was awaited. Tests that wait on another
 * process or a background loop use it instead of a fixed sleep or a fixed
 * number of tries, which a busy machine (CI, two cores, other jobs) outruns.
 */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  { withinMs = 20_000, everyMs = 10 }: { withinMs?: number; everyMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`waited ${withinMs} ms for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
