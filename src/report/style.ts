import pc from 'picocolors';

/** Colours for terminal output; plain text when the stream is not a TTY or NO_COLOR is set. */
export function createStyle(stream: NodeJS.WriteStream = process.stdout) {
  const enabled = stream.isTTY === true && !process.env.NO_COLOR;
  const colors = pc.createColors(enabled);
  return {
    ok: colors.green,
    fail: colors.red,
    warn: colors.yellow,
    dim: colors.dim,
    bold: colors.bold,
    heading: (text: string) => colors.bold(text),
  };
}

export type Style = ReturnType<typeof createStyle>;
