import { describe, expect, it } from 'vitest';
import { progressReporter } from './progress.js';

function pipe() {
  const written: string[] = [];
  const stream = {
    isTTY: false,
    write: (text: string) => {
      written.push(text);
      return true;
    },
  };
  return { stream, written };
}

describe('progress without a terminal', () => {
  it('writes a line at each tenth, and again when the note changes', () => {
    const { stream, written } = pipe();
    const progress = progressReporter('import', { stream });
    for (let done = 0; done <= 100; done += 5) progress.update(done, 100, 'orders.csv');
    progress.update(100, 100, 'charges.csv');
    progress.stop();

    expect(written).toEqual([
      ...[0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100].map((p) => `import: ${p}% orders.csv\n`),
      'import: 100% charges.csv\n',
    ]);
  });

  it('writes nothing when the command asks for silence', () => {
    const { stream, written } = pipe();
    const progress = progressReporter('generate', { stream, withoutTerminal: 'silent' });
    for (let done = 0; done <= 100; done += 10) progress.update(done, 100, 'merchants');
    progress.stop();

    expect(written).toEqual([]);
  });
});
