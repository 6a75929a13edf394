#!/usr/bin/env node
// The `seqtorch` command: `forecast` trains a forecaster from a CSV column (or a built-in
// noisy sine wave) and `predict` reloads one to forecast further. Mistakes end with one line
// on stderr and exit status 1.

import { Command, InvalidArgumentError, Option } from 'commander'

import { packageVersion } from '../package_root.js'
import { CliError } from './errors.js'
import { forecast } from './forecast.js'
import { MAX_STEPS, predict } from './predict.js'

function positiveInt(name: string) {
  return (v: string): number => {
    const n = Number(v)
    if (!/^\s*\d+\s*$/.test(v) || !Number.isSafeInteger(n) || n <= 0) throw new InvalidArgumentError(`${name} must be a positive integer, got '${v}'`)
    return n
  }
}

function positiveNumber(name: string) {
  return (v: string): number => {
    const n = Number(v)
    if (v.trim() === '' || !Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`${name} must be a positive number, got '${v}'`)
    return n
  }
}

function fraction(v: string): number {
  const n = Number(v)
  if (v.trim() === '' || !(n > 0 && n < 1)) throw new InvalidArgumentError(`--test-fraction must be between 0 and 1, got '${v}'`)
  return n
}

function integer(v: string): number {
  const n = Number(v)
  if (!/^\s*-?\d+\s*$/.test(v) || !Number.isSafeInteger(n)) throw new InvalidArgumentError(`--seed must be an integer, got '${v}'`)
  return n
}

export function program(): Command {
  const cmd = new Command('seqtorch')
    .description('Train and use sequence models (RNN, LSTM, GRU) from the command line.')
    .version(packageVersion())
    .showHelpAfterError(false)
    .exitOverride()
    .configureOutput({ outputError: () => {} })

  cmd
    .command('forecast')
    .description('train a forecaster on a CSV column (default: a noisy sine wave) and report test errors')
    .option('--csv <file>', 'CSV file with a header row')
    .option('--column <name>', 'column to forecast')
    .option('--date-column <name>', 'column of dates or times for the chart axis')
    .option('--window <n>', 'past steps the model sees', positiveInt('--window'), 20)
    .option('--horizon <n>', 'future steps to predict', positiveInt('--horizon'), 1)
    .addOption(new Option('--model <kind>', 'recurrent layer').choices(['lstm', 'gru', 'rnn']).default('lstm'))
    .option('--hidden <n>', 'hidden units', positiveInt('--hidden'), 32)
    .option('--layers <n>', 'stacked layers', positiveInt('--layers'), 1)
    .option('--epochs <n>', 'training epochs', positiveInt('--epochs'), 30)
    .option('--batch-size <n>', 'windows per batch', positiveInt('--batch-size'), 32)
    .option('--lr <x>', 'Adam learning rate', positiveNumber('--lr'), 0.01)
    .option('--test-fraction <x>', 'share of windows held out for the test, at the end', fraction, 0.2)
    .option('--seed <n>', 'random seed', integer, 42)
    .option('--out <dir>', 'write model.safetensors, config.json, metrics.json and forecast.html here')
    .option('--device <device>', 'cpu, cuda, cuda:N, or auto (cuda when available)', 'auto')
    .action(async (o) => {
      await forecast(o)
    })

  cmd
    .command('predict')
    .description('forecast the steps after the end of a CSV column with a model saved by forecast --out')
    .requiredOption('--model <dir>', 'folder written by seqtorch forecast --out')
    .requiredOption('--csv <file>', 'CSV file with a header row')
    .requiredOption('--column <name>', 'column to continue')
    .option('--steps <k>', `steps to forecast, at most ${MAX_STEPS} (default: the model horizon)`, positiveInt('--steps'))
    .option('--json', 'print a JSON array instead of one value per line')
    .action(async (o) => {
      const values = await predict(o)
      if (o.json) console.log(JSON.stringify(values))
      else values.forEach((v, i) => console.log(`${i + 1}\t${v}`))
    })
  return cmd
}

export async function main(argv: string[]): Promise<number> {
  try {
    await program().parseAsync(argv, { from: 'user' })
    return 0
  } catch (e) {
    const err = e as Error & { code?: string; exitCode?: number }
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return 0
    if (err.code?.startsWith('commander.')) {
      process.stderr.write(`seqtorch: ${err.message.replace(/^error: /, '')}\n`)
      return 1
    }
    process.stderr.write(`seqtorch: ${err instanceof CliError ? err.message : `error: ${err.message}`}\n`)
    return 1
  }
}

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code
})
