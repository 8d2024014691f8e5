/**
 * Minimal ANSI styling for stdout: used only when stdout is a terminal and
 * NO_COLOR is unset, so piped output and logs stay plain text.
 */
const CODES = {
  bold: [1, 22],
  red: [31, 39],
  green: [32, 39],
  yellow: [33, 39],
  cyan: [36, 39],
  dim: [2, 22],
  inverse: [7, 27],
} as const;

export type Style = keyof typeof CODES;

export type Stylist = (style: Style, text: string) => string;

/** `colour` false (a command's `--no-color`) keeps the output plain even in a terminal. */
export function stylistFor(stream: { isTTY?: boolean }, colour = true): Stylist {
  const enabled = colour && stream.isTTY === true && process.env.NO_COLOR === undefined;
  return (style, text) => {
    if (!enabled) return text;
    const [on, off] = CODES[style];
    return `\u001b[${on}m${text}\u001b[${off}m`;
  };
}
