/**
 * A small RFC 4180 reader for the upload page: quoted fields, doubled quotes,
 * CRLF or LF line ends, a byte-order mark. Each record keeps the line it
 * started on, so a rejected row can be named the way `ladder import` names it.
 */

export interface CsvRecord {
  readonly line: number;
  readonly cells: readonly string[];
}

export function parseCsv(text: string): CsvRecord[] {
  const records: CsvRecord[] = [];
  const source = text.startsWith('\uFEFF') ? text.slice(1) : text;
  let cells: string[] = [];
  let cell = '';
  let quoted = false;
  let line = 1;
  let startLine = 1;
  let i = 0;

  const endRecord = () => {
    cells.push(cell);
    if (!(cells.length === 1 && cells[0] === '')) records.push({ line: startLine, cells });
    cells = [];
    cell = '';
  };

  while (i < source.length) {
    const ch = source[i];
    if (quoted) {
      if (ch === '"' && source[i + 1] === '"') {
        cell += '"';
        i += 2;
        continue;
      }
      if (ch === '"') quoted = false;
      else {
        if (ch === '\n') line += 1;
        cell += ch;
      }
      i += 1;
      continue;
    }
    if (ch === '"' && cell === '') quoted = true;
    else if (ch === ',') {
      cells.push(cell);
      cell = '';
    } else if (ch === '\r' && source[i + 1] === '\n') {
      i += 1;
      continue;
    } else if (ch === '\n' || ch === '\r') {
      endRecord();
      line += 1;
      startLine = line;
    } else cell += ch;
    i += 1;
  }
  if (cell !== '' || cells.length > 0) endRecord();
  if (quoted) throw new Error(`a quoted field opened on line ${startLine} is never closed`);
  return records;
}
