import { describe, expect, it } from 'vitest';
import { parseCsv } from './csv';

describe('parseCsv', () => {
  it.each([
    [
      'plain rows with CRLF',
      'a,b\r\n1,2\r\n',
      [
        [1, ['a', 'b']],
        [2, ['1', '2']],
      ],
    ],
    [
      'LF and no final line end',
      'a,b\n1,2',
      [
        [1, ['a', 'b']],
        [2, ['1', '2']],
      ],
    ],
    [
      'an empty last cell stays empty',
      'a,b\n1,\n',
      [
        [1, ['a', 'b']],
        [2, ['1', '']],
      ],
    ],
    [
      'quotes, doubled quotes and commas',
      'a\n"x, ""y"""\n',
      [
        [1, ['a']],
        [2, ['x, "y"']],
      ],
    ],
    [
      'a byte-order mark is dropped',
      '\uFEFFid\nM-1\n',
      [
        [1, ['id']],
        [2, ['M-1']],
      ],
    ],
    [
      'blank lines are skipped but counted',
      'a\n\n1\n',
      [
        [1, ['a']],
        [3, ['1']],
      ],
    ],
  ] as const)('%s', (_, text, expected) => {
    expect(parseCsv(text).map((r) => [r.line, r.cells])).toEqual(expected);
  });

  it('refuses a quoted field that never closes', () => {
    expect(() => parseCsv('a\n"open\n')).toThrow(/line 2/);
  });
});
