import { describe, expect, it } from 'vitest';
import { displayFilename, displayText, shortenMiddle } from './display';

describe('displayText', () => {
  it.each([
    ['sales.csv', 'sales.csv'],
    ['\x1b[31mred\x1b[0m.csv', '\\x1b[31mred\\x1b[0m.csv'],
    ['\x1b]0;title\x07.csv', '\\x1b]0;title\\x07.csv'],
    ['a\tb\nc\rd\x00e\x7f', 'a\\tb\\nc\\rd\\x00e\\x7f'],
    ['\u009b31m', '\\x9b31m'],
    ['evil\u202etxt.exe', 'evil\\u202etxt.exe'],
    ['a\u2028b\u2066c\u200fd', 'a\\u2028b\\u2066c\\u200fd'],
    ['продажи 売上 café 👩‍💻 \ufffd.csv', 'продажи 売上 café 👩‍💻 \ufffd.csv'],
  ])('%j -> %s', (text, shown) => expect(displayText(text)).toBe(shown));
});

describe('shortenMiddle', () => {
  it('leaves a short name alone', () => {
    expect(shortenMiddle('sales.csv', 80)).toBe('sales.csv');
    expect(shortenMiddle('x'.repeat(80), 80)).toBe('x'.repeat(80));
  });

  it('keeps the start and the end (the extension) of a long name, at most max characters', () => {
    const name = `quarterly-${'x'.repeat(300)}-2026-03.csv`;
    const short = shortenMiddle(name, 80);
    expect(Array.from(short)).toHaveLength(80);
    expect(short.startsWith('quarterly-xxx')).toBe(true);
    expect(short.endsWith('…' + name.slice(-24))).toBe(true);
  });

  it('never splits a character outside the Basic Multilingual Plane', () => {
    const short = shortenMiddle('😀'.repeat(100), 10);
    expect(Array.from(short)).toEqual([...'😀'.repeat(6), '…', '😀', '😀', '😀']);
  });
});

describe('displayFilename', () => {
  it('escapes, shortens, and keeps the whole escaped name for the tooltip', () => {
    const name = `\x1b[31m${'a'.repeat(200)}.csv`;
    const shown = displayFilename(name);
    expect(shown.title).toBe(`\\x1b[31m${'a'.repeat(200)}.csv`);
    expect(shown.text.startsWith('\\x1b[31maaa')).toBe(true);
    expect(shown.text.endsWith('aaa.csv')).toBe(true);
    expect(Array.from(shown.text)).toHaveLength(80);
  });
});
