import { describe, expect, it } from 'vitest';
import en from './en.json';
import zhCN from './zh-CN.json';

const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe('message files', () => {
  it('have the same keys in both languages', () => {
    expect(Object.keys(en).sort()).toEqual(Object.keys(zhCN).sort());
  });

  it('use the same placeholders in both languages', () => {
    const zh: Record<string, string> = zhCN;
    for (const [key, text] of Object.entries(en as Record<string, string>)) {
      expect({ key, names: placeholders(text) }).toEqual({
        key,
        names: placeholders(zh[key] ?? ''),
      });
    }
  });

  it('leave no message empty', () => {
    for (const [key, text] of [...Object.entries(en), ...Object.entries(zhCN)]) {
      expect({ key, empty: text.trim() === '' }).toEqual({ key, empty: false });
    }
  });
});
