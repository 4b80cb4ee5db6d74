import { describe, expect, it } from 'vitest';
import { at, compile, SHIPPED, shippedDocument } from '../../test-support/core.js';
import { dec } from '../money.js';
import { formatInstant } from '../time.js';
import { levelFor, parseRulebook, versionInForce } from './rulebook.js';
import type { MonthlyOrderCountRuleDocument, RulebookDocument } from './schema.js';

function programme3n() {
  const found = SHIPPED.programmes.get('3+N');
  if (!found) throw new Error('the shipped rulebook has no 3+N programme');
  return found;
}

describe('the shipped rulebook 3n-2024-07', () => {
  it('is valid', () => {
    const parsed = parseRulebook(shippedDocument());
    expect(parsed.ok).toBe(true);
  });

  it('has a 3+N programme and no 2+N programme', () => {
    expect([...SHIPPED.programmes.keys()]).toEqual(['3+N']);
  });

  it('assesses on the 2nd of each quarter from 2024-04-02 to 2025-04-02 (D5)', () => {
    const calendar = [...programme3n().calendar].map(([q, when]) => [q, formatInstant(when)]);
    expect(calendar).toEqual([
      ['2024-Q1', '2024-04-02T00:00:00+08:00'],
      ['2024-Q2', '2024-07-02T00:00:00+08:00'],
      ['2024-Q3', '2024-10-02T00:00:00+08:00'],
      ['2024-Q4', '2025-01-02T00:00:00+08:00'],
      ['2025-Q1', '2025-04-02T00:00:00+08:00'],
    ]);
  });
});

describe('levelFor: thresholds are inclusive at their lower bound (D1)', () => {
  it.each([
    ['0', 'LV1', 'no orders'],
    ['100000', 'LV1', 'the announcement: 100,000 is LV1'],
    ['199999.99', 'LV1', 'one cent below the LV2 threshold'],
    ['200000', 'LV2', 'exactly the LV2 threshold'],
    ['300000', 'LV2', 'the announcement: 300,000 is LV2'],
    ['499999.99', 'LV2', 'one cent below LV3'],
    ['500000', 'LV3', 'exactly the LV3 threshold'],
    ['600000', 'LV3', 'the announcement: 600,000 is LV3'],
    ['800000', 'LV3', 'the announcement: 800,000 is LV3'],
    ['999999.99', 'LV3', 'one cent below LV4'],
    ['1000000', 'LV4', 'exactly the LV4 threshold'],
    ['2999999.99', 'LV4', 'one cent below LV5'],
    ['3000000', 'LV5', 'exactly the LV5 threshold'],
    ['45000000', 'LV5', 'far above the top threshold'],
  ])('%s USD is %s (%s)', (amountUsd, level) => {
    expect(levelFor(programme3n(), dec(amountUsd)).name).toBe(level);
  });
});

type Edit = (doc: RulebookDocument) => void;

function legacyRule(): MonthlyOrderCountRuleDocument {
  return {
    type: 'monthly-order-count',
    service: '3+N',
    from: '2024-04-02T00:00:00+08:00',
    until: '2024-07-08T00:00:00+08:00',
    baseRate: '0.015',
    minCny: '200',
    maxCny: '600',
    steps: [
      { fromOrder: 1, discount: '1' },
      { fromOrder: 11, discount: '0.9' },
    ],
  };
}

function programmeOf(doc: RulebookDocument) {
  const found = doc.programmes['3+N'];
  if (!found) throw new Error('no 3+N programme');
  return found;
}

function levelDiscount(doc: RulebookDocument) {
  const rule = doc.fees.rules[0];
  if (rule?.type !== 'level-discount') throw new Error('rule 0 is not level-discount');
  return rule;
}

function setLevel(doc: RulebookDocument, index: number, fromUsd: string): void {
  const level = programmeOf(doc).levels[index];
  if (!level) throw new Error(`no level ${index}`);
  level.fromUsd = fromUsd;
}

describe('parseRulebook refuses a broken document with the JSON path of each issue', () => {
  const cases: [string, Edit, string, RegExp][] = [
    [
      'a threshold equal to the one below it',
      (doc) => setLevel(doc, 2, '200000'),
      'programmes.3+N.levels[2].fromUsd',
      /above the previous level/,
    ],
    [
      'a threshold below the one before it',
      (doc) => setLevel(doc, 3, '400000'),
      'programmes.3+N.levels[3].fromUsd',
      /above the previous level/,
    ],
    [
      'a first threshold other than 0',
      (doc) => setLevel(doc, 0, '1'),
      'programmes.3+N.levels[0].fromUsd',
      /must be 0/,
    ],
    [
      'a negative threshold',
      (doc) => setLevel(doc, 1, '-200000'),
      'programmes.3+N.levels[1].fromUsd',
      /0 or more/,
    ],
    [
      'a level name used twice',
      (doc) => {
        const level = programmeOf(doc).levels[1];
        if (level) level.level = 'LV1';
      },
      'programmes.3+N.levels[1].level',
      /twice/,
    ],
    [
      'a level band whose minimum is above its maximum',
      (doc) => {
        const band = levelDiscount(doc).levels.LV5;
        if (band) band.minCny = '300';
      },
      'fees.rules[0].levels.LV5.maxCny',
      /below minCny/,
    ],
    [
      'a standard band whose maximum is below its minimum',
      (doc) => {
        levelDiscount(doc).standard.maxCny = '199.99';
      },
      'fees.rules[0].standard.maxCny',
      /below minCny/,
    ],
    [
      'a negative minimum fee',
      (doc) => {
        const band = levelDiscount(doc).levels.LV3;
        if (band) band.minCny = '-160';
      },
      'fees.rules[0].levels.LV3.minCny',
      /0 or more/,
    ],
    [
      'a fee rule that ends before it starts',
      (doc) => {
        levelDiscount(doc).until = '2024-07-01T00:00:00+08:00';
      },
      'fees.rules[0].until',
      /after from/,
    ],
    [
      'a fee rule that ends the instant it starts',
      (doc) => {
        levelDiscount(doc).until = '2024-07-08T00:00:00+08:00';
      },
      'fees.rules[0].until',
      /after from/,
    ],
    [
      'a fee rule start without an offset',
      (doc) => {
        levelDiscount(doc).from = '2024-07-08T00:00:00';
      },
      'fees.rules[0].from',
      /offset/,
    ],
    [
      'a subsidy window that closes before it opens',
      (doc) => {
        doc.fxSubsidy.until = '2024-07-01';
      },
      'fxSubsidy.until',
      /after from/,
    ],
    [
      'a quarter 5',
      (doc) => {
        programmeOf(doc).assessment.firstQuarter = '2024-Q5';
      },
      'programmes.3+N.assessment.firstQuarter',
      /quarter such as 2024-Q2/,
    ],
    [
      'a quarter without its dash',
      (doc) => {
        programmeOf(doc).jumpRebate.lastQuarter = '2025Q1';
      },
      'programmes.3+N.jumpRebate.lastQuarter',
      /quarter such as 2024-Q2/,
    ],
    [
      'a last assessment quarter before the first',
      (doc) => {
        programmeOf(doc).assessment.lastQuarter = '2023-Q4';
      },
      'programmes.3+N.assessment.lastQuarter',
      /not be before firstQuarter/,
    ],
    [
      'a newcomer level that the programme does not have (D8)',
      (doc) => {
        programmeOf(doc).jumpRebate.newcomerHeldLevel = 'LV0';
      },
      'programmes.3+N.jumpRebate.newcomerHeldLevel',
      /not a level/,
    ],
    [
      'a negative VAT rate',
      (doc) => {
        doc.fees.vatRate = '-0.06';
      },
      'fees.vatRate',
      /from 0 to 1/,
    ],
    [
      'a discount above 100%',
      (doc) => {
        const band = levelDiscount(doc).levels.LV4;
        if (band) band.discount = '1.5';
      },
      'fees.rules[0].levels.LV4.discount',
      /from 0 to 1/,
    ],
    [
      'a monthly USD/CNY rate of zero (D3)',
      (doc) => {
        doc.fees.monthlyUsdCny = { '2024-08': '0' };
      },
      'fees.monthlyUsdCny.2024-08',
      /greater than 0/,
    ],
    [
      'a legacy ladder whose first step is not the first order',
      (doc) => {
        doc.fees.rules.push({ ...legacyRule(), steps: [{ fromOrder: 2, discount: '0.9' }] });
      },
      'fees.rules[1].steps[0].fromOrder',
      /must be 1/,
    ],
    [
      'a legacy ladder whose steps do not rise',
      (doc) => {
        const rule = legacyRule();
        doc.fees.rules.push({
          ...rule,
          steps: [...rule.steps, { fromOrder: 11, discount: '0.8' }],
        });
      },
      'fees.rules[1].steps[2].fromOrder',
      /must rise/,
    ],
    [
      'a legacy ladder whose maximum is below its minimum',
      (doc) => {
        doc.fees.rules.push({ ...legacyRule(), minCny: '600', maxCny: '200' });
      },
      'fees.rules[1].maxCny',
      /below minCny/,
    ],
  ];

  it.each(cases)('names the path of %s', (_name, edit, path, message) => {
    const doc = shippedDocument();
    edit(doc);
    const parsed = parseRulebook(doc);
    if (parsed.ok) throw new Error('the broken document was accepted');
    const issue = parsed.issues.find((found) => found.path === path);
    expect(issue, JSON.stringify(parsed.issues)).toBeDefined();
    expect(issue?.message).toMatch(message);
  });

  it('accepts a valid legacy ladder next to the level-discount rule', () => {
    const doc = shippedDocument();
    doc.fees.rules.push(legacyRule());
    expect(parseRulebook(doc).ok).toBe(true);
  });

  it('puts the prefix before every path, from the schema and from the cross-field checks', () => {
    const schemaBroken = shippedDocument();
    schemaBroken.fees.vatRate = '-1';
    const crossBroken = shippedDocument();
    setLevel(crossBroken, 0, '5');

    const first = parseRulebook(schemaBroken, 'rulebook');
    const second = parseRulebook(crossBroken, 'rulebook');
    expect(first.ok ? [] : first.issues.map((issue) => issue.path)).toEqual([
      'rulebook.fees.vatRate',
    ]);
    expect(second.ok ? [] : second.issues.map((issue) => issue.path)).toEqual([
      'rulebook.programmes.3+N.levels[0].fromUsd',
    ]);
  });

  it('names a missing field', () => {
    const doc: Partial<RulebookDocument> = shippedDocument();
    delete doc.coupons;
    const parsed = parseRulebook(doc);
    expect(parsed.ok ? [] : parsed.issues.map((issue) => issue.path)).toEqual(['coupons']);
  });
});

describe('versionInForce', () => {
  const first = compile({ ...shippedDocument(), effectiveFrom: '2024-04-01T00:00:00+08:00' });
  const second = compile({
    ...shippedDocument(),
    version: 2,
    effectiveFrom: '2024-10-01T00:00:00+08:00',
  });
  const correction = compile({
    ...shippedDocument(),
    version: 3,
    effectiveFrom: '2024-10-01T00:00:00+08:00',
  });

  it.each<[string, number | null, string]>([
    ['2024-03-31T23:59:59+08:00', null, 'before any version'],
    ['2024-04-01T00:00:00+08:00', 1, 'at the first effective instant'],
    ['2024-09-30T23:59:59.999+08:00', 1, 'just before the second'],
    ['2024-10-01T00:00:00+08:00', 2, 'at the second effective instant'],
  ])('at %s gives version %s (%s)', (when, version) => {
    expect(versionInForce([second, first], at(when))?.document.version ?? null).toBe(version);
  });

  it('prefers the higher version number when two take effect at the same instant', () => {
    const found = versionInForce([correction, first, second], at('2024-10-01T00:00:00+08:00'));
    expect(found?.document.version).toBe(3);
  });
});
