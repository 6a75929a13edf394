// One line to stdout, synchronously, for the fuzz workers (the parent reads their output
// through a pipe). A full pipe makes a synchronous write fail with EAGAIN when the parent is
// slow to drain it (a loaded machine): wait a millisecond and write the rest.

import { writeSync } from 'node:fs'

const pause = new Int32Array(new SharedArrayBuffer(4))

export function say(line: string): void {
  let rest = Buffer.from(`${line}\n`)
  while (rest.length > 0) {
    try {
      rest = rest.subarray(writeSync(1, rest))
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e
      Atomics.wait(pause, 0, 0, 1)
    }
  }
}
