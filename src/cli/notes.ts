// Import notes on a terminal.

const LISTED = 12;

/** A note that ends in a long list of names shows its first few on a terminal; --json keeps all. */
export function shortened(note: string): string {
  const at = note.lastIndexOf(": ");
  if (at < 0) return note;
  const items = note.slice(at + 2).split(", ");
  if (items.length <= LISTED) return note;
  return `${note.slice(0, at + 2)}${items.slice(0, LISTED).join(", ")}, … and ${items.length - LISTED} more (--json lists them all)`;
}
