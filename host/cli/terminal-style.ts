/**
 * Minimal ANSI styling for stdout: used only when stdout is a terminal and
 * NO_COLOR is unset, so piped output and logs stay plain text.
 */
const CODES = {
  bold: [1, 22],
  red: [31, 39],
  green: [32, 39],
  yellow: [33, 39],
  dim: [2, 22],
} as const;

export type Style = keyof typeof CODES;

export type Stylist = (style: Style, text: string) => string;

export function stylistFor(stream: { isTTY?: boolean }): Stylist {
  const enabled = stream.isTTY === true && process.env.NO_COLOR === undefined;
  return (style, text) => {
    if (!enabled) return text;
    const [on, off] = CODES[style];
    return `\u001b[${on}m${text}\u001b[${off}m`;
  };
}
