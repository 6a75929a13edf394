// Per-epoch progress on stderr: a live bar on a terminal, one plain line per epoch otherwise.

import cliProgress from 'cli-progress'

import type { EpochLog } from '../../index.js'

export interface Progress {
  epoch(log: EpochLog): void
  stop(): void
}

function fmt(v: number | undefined): string {
  return v === undefined ? '-' : v.toExponential(3)
}

export function progress(totalEpochs: number, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        stream,
        format: 'epoch {value}/{total} |{bar}| loss {loss} | val {val} | ETA {eta_formatted}',
        barsize: 24,
        hideCursor: true,
      },
      cliProgress.Presets.shades_classic,
    )
    bar.start(totalEpochs, 0, { loss: '-', val: '-' })
    return {
      epoch: (log) => bar.update(log.epoch, { loss: fmt(log.loss), val: fmt(log.valLoss) }),
      stop: () => bar.stop(),
    }
  }
  return {
    epoch: (log) =>
      stream.write(
        `epoch ${log.epoch}/${totalEpochs}  loss ${fmt(log.loss)}  val_loss ${fmt(log.valLoss)}  (${log.seconds.toFixed(2)}s)\n`,
      ),
    stop: () => {},
  }
}
