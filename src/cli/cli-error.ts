/**
 * An error the operator can act on: printed as one line, exit code 2 for usage, 1 otherwise.
 * Its own module so every subcommand file can throw it (main.ts runs the CLI when imported).
 */
export class CliError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
  }
}
