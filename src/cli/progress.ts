import cliProgress from 'cli-progress';

/**
 * A progress bar on a terminal, on stderr so that stdout stays the command's
 * output. Elsewhere (CI, pipes) a command chooses: plain lines at each tenth
 * (import, where a log of a long load helps), or nothing (generate, whose
 * summary says all there is).
 */

export interface ProgressOptions {
  /** Where the bar or the lines go; stderr unless a test says otherwise. */
  readonly stream?: Pick<NodeJS.WriteStream, 'isTTY' | 'write'>;
  readonly withoutTerminal?: 'lines' | 'silent';
}

export interface ProgressReporter {
  update: (done: number, total: number, note?: string) => void;
  stop: () => void;
}

export function progressReporter(label: string, options: ProgressOptions = {}): ProgressReporter {
  const stream = options.stream ?? process.stderr;
  if (stream.isTTY) return terminalBar(label, stream as NodeJS.WriteStream);
  if (options.withoutTerminal === 'silent') return { update: () => {}, stop: () => {} };

  let lastPercent = -1;
  let lastNote = '';
  return {
    update(done, total, note = '') {
      const percent = total > 0 ? Math.floor((done / total) * 10) * 10 : 0;
      if (percent === lastPercent && note === lastNote) return;
      lastPercent = percent;
      lastNote = note;
      stream.write(`${label}: ${percent}% ${note}\n`);
    },
    stop: () => {},
  };
}

function terminalBar(label: string, stream: NodeJS.WriteStream): ProgressReporter {
  const bar = new cliProgress.SingleBar(
    { format: `${label} [{bar}] {percentage}% {note}`, stream, hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update(done, total, note = '') {
      if (!started) {
        bar.start(Math.max(total, 1), 0, { note });
        started = true;
      }
      bar.setTotal(Math.max(total, 1));
      bar.update(done, { note });
    },
    stop: () => bar.stop(),
  };
}
