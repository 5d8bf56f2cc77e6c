/** Writes a value as indented JSON to standard output; bigints become strings. */
export function printJson(value: unknown) {
  process.stdout.write(
    `${JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2)}\n`,
  );
}

/** Writes a line to standard output. */
export function println(text = '') {
  process.stdout.write(`${text}\n`);
}

/** Reports a step of long work on standard error, so standard output stays parseable. */
export function createStepReporter(quiet: boolean) {
  return (step: string) => {
    if (!quiet) process.stderr.write(`  ${step}\n`);
  };
}
