import cliProgress from 'cli-progress';

/**
 * A progress bar on a terminal, plain lines elsewhere (CI, pipes), on stderr
 * so that stdout stays the command's output.
 */
export function progressReporter(label: string): {
  update: (done: number, total: number, note?: string) => void;
  stop: () => void;
} {
  if (process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar(
      { format: `${label} [{bar}] {percentage}% {note}`, stream: process.stderr, hideCursor: true },
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
  let lastPercent = -1;
  let lastNote = '';
  return {
    update(done, total, note = '') {
      const percent = total > 0 ? Math.floor((done / total) * 10) * 10 : 0;
      if (percent === lastPercent && note === lastNote) return;
      lastPercent = percent;
      lastNote = note;
      process.stderr.write(`${label}: ${percent}% ${note}\n`);
    },
    stop: () => {},
  };
}
