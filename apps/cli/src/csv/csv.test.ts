import { describe, expect, it } from 'vitest';
import { CsvSyntaxError, csvField, parseCsv } from './csv.js';

describe('parseCsv', () => {
  it('reads plain and quoted fields, CRLF and LF, and skips blank lines', () => {
    const text = 'a,b,c\r\n1,"Washington, D.C.",x\n\n2,"say ""hi""",\n"multi\nline",,z';
    expect(parseCsv(text)).toEqual([
      { line: 1, fields: ['a', 'b', 'c'] },
      { line: 2, fields: ['1', 'Washington, D.C.', 'x'] },
      { line: 4, fields: ['2', 'say "hi"', ''] },
      { line: 5, fields: ['multi\nline', '', 'z'] },
    ]);
  });

  it('names the line of a broken record', () => {
    expect(() => parseCsv('a\n"open')).toThrow(new CsvSyntaxError(2, 'a quoted field is not closed'));
    expect(() => parseCsv('"a"b')).toThrow(/line 1: unexpected text after a closing quote/);
  });

  it('takes a quote inside an unquoted field literally', () => {
    expect(parseCsv('a\nb"c')[1]?.fields).toEqual(['b"c']);
  });

  it('writes back what it read', () => {
    const values = ['plain', 'with, comma', 'with "quote"', 'two\nlines', ''];
    const line = values.map(csvField).join(',');
    expect(parseCsv(line)[0]?.fields).toEqual(values);
  });
});
