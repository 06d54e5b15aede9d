/**
 * Reads a numeric command-line flag of a bench script; a bad value stops the script with one
 * line naming the flag, the value and the expectation (exit 2), like Gatehouse's own settings.
 */
export function createPositiveFlag(script: string, usage: string) {
  return function positive(name: string, text: string, integer: boolean): number {
    const value = Number(text);
    if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
      process.stderr.write(`${script}: --${name} = ${JSON.stringify(text)}: expected a positive ${integer ? 'integer' : 'number'}\n${usage}\n`);
      process.exit(2);
    }
    return value;
  };
}
