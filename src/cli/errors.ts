// A user-facing failure of the command: printed as one line, exit status 1.

export class CliError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'CliError'
  }
}
