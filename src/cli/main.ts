#!/usr/bin/env node
// The `seqtorch` command. Its subcommands (forecast, predict) arrive with the CLI work; until
// then it reports its version and says which commands exist.

import { readFileSync } from 'node:fs'

const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }
const [command] = process.argv.slice(2)

if (command === '--version' || command === '-v') {
  console.log(pkg.version)
} else {
  console.error(`seqtorch ${pkg.version}: no commands are available in this version yet.`)
  process.exitCode = command === undefined || command === '--help' || command === '-h' ? 0 : 1
}
