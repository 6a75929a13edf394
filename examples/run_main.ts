// True when the calling module is the script node was started with (not imported by a test).

import { fileURLToPath } from 'node:url'

export function isMain(metaUrl: string): boolean {
  return process.argv[1] !== undefined && fileURLToPath(metaUrl) === process.argv[1]
}
