import { describe, expect, it } from 'vitest';
import { date, dateTime, groupDecimal, money, percent } from './format';

describe('money', () => {
  it.each([
    ['1234.5', 'CNY', '¥1,234.50'],
    ['800000.00', 'USD', '$800,000.00'],
    ['0.00', 'CNY', '¥0.00'],
    ['480', 'CNY', '¥480.00'],
    ['-3500.00', 'CNY', '-¥3,500.00'],
    ['0.005', 'CNY', '¥0.005'],
    // Digits beyond a double's precision survive: no amount becomes a number.
    ['123456789012345678.91', 'USD', '$123,456,789,012,345,678.91'],
  ] as const)('formats %s %s as %s', (text, currency, expected) => {
    expect(money(text, currency)).toBe(expected);
  });

  it('shows a missing amount as a dash, never as zero', () => {
    expect(money(null, 'CNY')).toBe('—');
  });

  it('leaves text that is not a decimal as it is', () => {
    expect(groupDecimal('n/a')).toBe('n/a');
  });
});

describe('percent', () => {
  it.each([
    ['0.8', '80%'],
    ['0.45', '45%'],
    ['1', '100%'],
    ['0.015', '1.5%'],
    ['0.06', '6%'],
    ['0.655', '65.5%'],
  ])('writes %s as %s', (text, expected) => {
    expect(percent(text)).toBe(expected);
  });
});

describe('dates in Asia/Shanghai', () => {
  it('puts 15:30 UTC on June 30 at 23:30 in Shanghai, still in Q2', () => {
    expect(dateTime('2024-06-30T15:30:00Z')).toBe('2024-06-30 23:30');
  });

  it('puts 16:30 UTC on June 30 on July 1 in Shanghai', () => {
    expect(date('2024-06-30T16:30:00Z')).toBe('2024-07-01');
    expect(dateTime('2024-07-02T00:00:00+08:00')).toBe('2024-07-02 00:00');
  });
});
