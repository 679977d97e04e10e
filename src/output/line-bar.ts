import type { Writable } from 'node:stream';

/**
 * A one-line progress display drawn with carriage returns and spaces only, for a terminal that asked for no colour:
 * no control sequence (cursor movement, hiding, line clearing) is ever written. The line is cut to the terminal's
 * width, since a line that wraps could not be redrawn in place with \r.
 */
export class LineBar {
  /** Characters of the line on screen now (0: nothing drawn). */
  private shown = 0;
  private last = '';

  constructor(private readonly out: Writable & { columns?: number }) {}

  draw(text: string): void {
    const cells = [...text];
    const width = Math.max(10, (this.out.columns || 80) - 1);
    const line = cells.length > width ? cells.slice(0, width).join('') : text;
    const length = Math.min(cells.length, width);
    this.out.write(`\r${line}${' '.repeat(Math.max(0, this.shown - length))}`);
    this.shown = length;
    this.last = text;
  }

  /** Writes a whole line (ending in \n) where the bar was, and draws the bar again under it. */
  log(line: string): void {
    const bar = this.last;
    this.clear();
    this.out.write(line);
    if (bar) this.draw(bar);
  }

  /** Blanks the line and leaves the cursor at its start. */
  clear(): void {
    if (this.shown > 0) this.out.write(`\r${' '.repeat(this.shown)}\r`);
    this.shown = 0;
    this.last = '';
  }
}
