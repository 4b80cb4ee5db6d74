import { describe, expect, it } from 'vitest';
import { checkScenario, sameFacts } from './input.js';

type Json = Record<string, unknown>;

/** The scenario of SPEC §12, as plain JSON that each case edits. */
function specExample(): Json {
  return {
    rulebook: '3n-2024-07',
    asOf: '2024-09-30T00:00:00+08:00',
    merchants: [
      {
        id: 'M-001',
        fxRating: 'A',
        fxRatingChanges: [{ at: '2024-12-01T00:00:00+08:00', rating: 'B' }],
        riskFlags: [{ from: '2025-01-10T00:00:00+08:00', to: null }],
      },
    ],
    orders: [
      {
        id: 'O-1',
        merchantId: 'M-001',
        service: '3+N',
        type: 'TA3N',
        amountUsd: '100000.00',
        clearedAt: '2024-03-15T10:00:00+08:00',
      },
      {
        id: 'O-2',
        merchantId: 'M-001',
        service: '3+N',
        type: 'OT3N',
        amountUsd: '800000.00',
        clearedAt: '2024-05-20T10:00:00+08:00',
      },
      {
        id: 'O-3',
        merchantId: 'M-001',
        service: '3+N',
        type: 'TA3N',
        amountUsd: '10000.00',
        clearedAt: '2024-08-15T10:00:00+08:00',
        usdCny: '7.1000',
      },
    ],
    orderEvents: [{ orderId: 'O-3', at: '2024-09-20T00:00:00+08:00', status: 'cancelled' }],
    charges: [
      {
        id: 'C-1',
        orderId: 'O-3',
        merchantId: 'M-001',
        kind: 'tax-refund-service-fee',
        amountCny: '350.00',
        at: '2024-09-01T10:00:00+08:00',
      },
    ],
    settlements: [
      {
        id: 'S-1',
        merchantId: 'M-001',
        currency: 'USD',
        amount: '50000.00',
        baseRate: '7.2120',
        account: 'export',
        at: '2024-08-01T10:00:00+08:00',
      },
    ],
  };
}

/** The object at a list index of the scenario, for editing in place. */
function row(scenario: Json, list: string, index: number): Json {
  const rows = scenario[list];
  if (!Array.isArray(rows)) throw new Error(`${list} is not a list`);
  const found: unknown = rows[index];
  if (found === null || typeof found !== 'object') throw new Error(`${list}[${index}] is missing`);
  return found as Json;
}

function push(scenario: Json, list: string, item: Json): void {
  const rows = scenario[list];
  if (!Array.isArray(rows)) throw new Error(`${list} is not a list`);
  rows.push(item);
}

function flag(scenario: Json): Json {
  const flags = row(scenario, 'merchants', 0).riskFlags;
  if (!Array.isArray(flags)) throw new Error('no riskFlags');
  return flags[0] as Json;
}

describe('checkScenario accepts the SPEC example', () => {
  it('is valid, with an open risk flag (`to` null)', () => {
    const checked = checkScenario(specExample());
    expect(checked.ok).toBe(true);
  });

  it('defaults the optional lists to empty', () => {
    const scenario = specExample();
    delete scenario.orderEvents;
    delete scenario.charges;
    delete scenario.settlements;
    const checked = checkScenario(scenario);
    if (!checked.ok) throw new Error(JSON.stringify(checked.issues));
    expect(checked.scenario.charges).toEqual([]);
  });
});

type Edit = (scenario: Json) => void;

describe('checkScenario names the path of each bad field (SPEC §12)', () => {
  const cases: [string, Edit, string, RegExp][] = [
    [
      'a missing amount',
      (s) => {
        delete row(s, 'orders', 0).amountUsd;
      },
      'orders[0].amountUsd',
      /./,
    ],
    [
      'a missing asOf',
      (s) => {
        delete s.asOf;
      },
      'asOf',
      /./,
    ],
    [
      'a missing FX rating',
      (s) => {
        delete row(s, 'merchants', 0).fxRating;
      },
      'merchants[0].fxRating',
      /./,
    ],
    [
      'a number where a decimal string belongs',
      (s) => {
        row(s, 'orders', 1).amountUsd = 800000;
      },
      'orders[1].amountUsd',
      /./,
    ],
    [
      'a null usdCny',
      (s) => {
        row(s, 'orders', 2).usdCny = null;
      },
      'orders[2].usdCny',
      /./,
    ],
    [
      'a null FX rating',
      (s) => {
        row(s, 'merchants', 0).fxRating = null;
      },
      'merchants[0].fxRating',
      /./,
    ],
    [
      'a null flag `from`',
      (s) => {
        flag(s).from = null;
      },
      'merchants[0].riskFlags[0].from',
      /./,
    ],
    [
      'a null charge instant',
      (s) => {
        row(s, 'charges', 0).at = null;
      },
      'charges[0].at',
      /./,
    ],
    [
      'a null list',
      (s) => {
        s.orders = null;
      },
      'orders',
      /./,
    ],
    [
      'a zero amount',
      (s) => {
        row(s, 'orders', 0).amountUsd = '0';
      },
      'orders[0].amountUsd',
      /greater than 0/,
    ],
    [
      'a zero amount with decimals',
      (s) => {
        row(s, 'orders', 0).amountUsd = '0.00';
      },
      'orders[0].amountUsd',
      /greater than 0/,
    ],
    [
      'a negative amount',
      (s) => {
        row(s, 'orders', 1).amountUsd = '-5000.00';
      },
      'orders[1].amountUsd',
      /greater than 0/,
    ],
    [
      'an amount in exponent notation',
      (s) => {
        row(s, 'orders', 1).amountUsd = '8e5';
      },
      'orders[1].amountUsd',
      /decimal string/,
    ],
    [
      'a zero order rate',
      (s) => {
        row(s, 'orders', 2).usdCny = '0';
      },
      'orders[2].usdCny',
      /greater than 0/,
    ],
    [
      'a zero charge',
      (s) => {
        row(s, 'charges', 0).amountCny = '0.00';
      },
      'charges[0].amountCny',
      /greater than 0/,
    ],
    [
      'a negative settlement amount',
      (s) => {
        row(s, 'settlements', 0).amount = '-1';
      },
      'settlements[0].amount',
      /greater than 0/,
    ],
    [
      'a zero base rate',
      (s) => {
        row(s, 'settlements', 0).baseRate = '0.0000';
      },
      'settlements[0].baseRate',
      /greater than 0/,
    ],
    [
      'a clearance instant without an offset',
      (s) => {
        row(s, 'orders', 0).clearedAt = '2024-03-15T10:00:00';
      },
      'orders[0].clearedAt',
      /offset/,
    ],
    [
      'an asOf without an offset',
      (s) => {
        s.asOf = '2024-09-30T00:00:00';
      },
      'asOf',
      /offset/,
    ],
    [
      'a settlement instant without an offset',
      (s) => {
        row(s, 'settlements', 0).at = '2024-08-01T10:00';
      },
      'settlements[0].at',
      /offset/,
    ],
    [
      'a flag whose `to` is before its `from`',
      (s) => {
        flag(s).to = '2025-01-09T23:59:59+08:00';
      },
      'merchants[0].riskFlags[0].to',
      /before from/,
    ],
    [
      'an order of an unknown merchant',
      (s) => {
        row(s, 'orders', 0).merchantId = 'M-404';
      },
      'orders[0].merchantId',
      /no merchant/,
    ],
    [
      'a settlement of an unknown merchant',
      (s) => {
        row(s, 'settlements', 0).merchantId = 'M-404';
      },
      'settlements[0].merchantId',
      /no merchant/,
    ],
    [
      'a status event of an unknown order',
      (s) => {
        row(s, 'orderEvents', 0).orderId = 'O-404';
      },
      'orderEvents[0].orderId',
      /no order/,
    ],
    [
      'a charge of an unknown order',
      (s) => {
        row(s, 'charges', 0).orderId = 'O-404';
      },
      'charges[0].orderId',
      /no order/,
    ],
    [
      'a charge of another merchant than its order’s',
      (s) => {
        push(s, 'merchants', { id: 'M-002', fxRating: 'A' });
        row(s, 'charges', 0).merchantId = 'M-002';
      },
      'charges[0].merchantId',
      /belongs to M-001/,
    ],
    [
      'a charge of a kind other than the tax-refund service fee',
      (s) => {
        row(s, 'charges', 0).kind = 'basic-service-fee';
      },
      'charges[0].kind',
      /tax-refund-service-fee/,
    ],
    [
      'an unknown status',
      (s) => {
        row(s, 'orderEvents', 0).status = 'reopened';
      },
      'orderEvents[0].status',
      /./,
    ],
    [
      'a second, different status for one order',
      (s) => {
        push(s, 'orderEvents', {
          orderId: 'O-3',
          at: '2024-09-21T00:00:00+08:00',
          status: 'refunded',
        });
      },
      'orderEvents[1].status',
      /already cancelled/,
    ],
    [
      'an order id used twice with another amount',
      (s) => {
        push(s, 'orders', { ...row(s, 'orders', 0), amountUsd: '100000.01' });
      },
      'orders[3]',
      /O-1/,
    ],
    [
      'a merchant id used twice with another rating',
      (s) => {
        push(s, 'merchants', { ...row(s, 'merchants', 0), fxRating: 'B' });
      },
      'merchants[1]',
      /M-001/,
    ],
    [
      'a charge id used twice with another instant',
      (s) => {
        push(s, 'charges', { ...row(s, 'charges', 0), at: '2024-09-02T10:00:00+08:00' });
      },
      'charges[1]',
      /C-1/,
    ],
    [
      'a settlement id used twice with another account',
      (s) => {
        push(s, 'settlements', { ...row(s, 'settlements', 0), account: 'agency-export' });
      },
      'settlements[1]',
      /S-1/,
    ],
    [
      'a status event sent twice at another instant',
      (s) => {
        push(s, 'orderEvents', { ...row(s, 'orderEvents', 0), at: '2024-09-21T00:00:00+08:00' });
      },
      'orderEvents[1]',
      /O-3/,
    ],
  ];

  it.each(cases)('refuses %s at its path', (_name, edit, path, message) => {
    const scenario = specExample();
    edit(scenario);
    const checked = checkScenario(scenario);
    if (checked.ok) throw new Error('the bad scenario was accepted');
    const issue = checked.issues.find((found) => found.path === path);
    expect(issue, JSON.stringify(checked.issues)).toBeDefined();
    expect(issue?.message).toMatch(message);
  });

  it('refuses a field the schema does not know, naming the object', () => {
    const scenario = specExample();
    row(scenario, 'orders', 0).currency = 'USD';
    const checked = checkScenario(scenario);
    expect(checked.ok ? [] : checked.issues.map((issue) => issue.path)).toEqual(['orders[0]']);
  });

  it('refuses a document that is not an object, at the root', () => {
    const checked = checkScenario([]);
    expect(checked.ok ? [] : checked.issues.map((issue) => issue.path)).toEqual(['(root)']);
  });

  it('reports every bad reference at once, so nothing is half-applied', () => {
    const scenario = specExample();
    row(scenario, 'orders', 0).merchantId = 'M-404';
    row(scenario, 'charges', 0).orderId = 'O-404';
    row(scenario, 'settlements', 0).merchantId = 'M-405';
    const checked = checkScenario(scenario);
    expect(checked.ok ? [] : checked.issues.map((issue) => issue.path).sort()).toEqual([
      'charges[0].orderId',
      'orders[0].merchantId',
      'settlements[0].merchantId',
    ]);
  });
});

describe('an id sent twice with the same facts is accepted once (SPEC §8)', () => {
  it('keeps one copy of a repeated order', () => {
    const scenario = specExample();
    push(scenario, 'orders', { ...row(scenario, 'orders', 0) });
    push(scenario, 'charges', { ...row(scenario, 'charges', 0) });
    push(scenario, 'orderEvents', { ...row(scenario, 'orderEvents', 0) });
    const checked = checkScenario(scenario);
    if (!checked.ok) throw new Error(JSON.stringify(checked.issues));
    expect(checked.scenario.orders.map((o) => o.id)).toEqual(['O-1', 'O-2', 'O-3']);
    expect(checked.scenario.charges.map((c) => c.id)).toEqual(['C-1']);
    expect(checked.scenario.orderEvents).toHaveLength(1);
  });

  it('takes the same decimal and the same instant written differently as the same facts', () => {
    const scenario = specExample();
    push(scenario, 'orders', {
      ...row(scenario, 'orders', 0),
      amountUsd: '100000',
      clearedAt: '2024-03-15T02:00:00Z',
    });
    expect(checkScenario(scenario).ok).toBe(true);
  });

  it.each([
    [{ amountUsd: '1.0' }, { amountUsd: '1.00' }, true],
    [{ at: '2024-03-15T10:00:00+08:00' }, { at: '2024-03-15T02:00:00z' }, true],
    [{ usdCny: '7.1' }, {}, false],
    [{ type: 'TA3N' }, { type: 'OT3N' }, false],
    [{ to: null }, { to: null }, true],
    [{ to: null }, { to: '2025-01-01T00:00:00+08:00' }, false],
  ])('sameFacts(%j, %j) is %s', (a, b, expected) => {
    expect(sameFacts(a, b)).toBe(expected);
  });
});

/** An edit that sets one field of a list's item. */
function setField(list: string, index: number, field: string, value: string): Edit {
  return (scenario) => {
    row(scenario, list, index)[field] = value;
  };
}

describe('checkScenario refuses what the store could not hold or SPEC does not allow', () => {
  const YEARS = 'must lie in the years 0001 to 9999 in UTC';
  const NUL = 'must not contain the NUL character (U+0000)';
  const SERVICE = 'must be one of "3+N", "2+N"';
  const CURRENCY = 'must be an ISO 4217 currency code of three capital letters, such as USD';
  const cases: [string, Edit, string, string, string][] = [
    [
      'a clearance in year 0',
      setField('orders', 0, 'clearedAt', '0000-03-15T10:00:00+08:00'),
      'orders[0].clearedAt',
      YEARS,
      '0000-03-15T10:00:00+08:00',
    ],
    [
      'a clearance one hour before year 1 in UTC',
      setField('orders', 0, 'clearedAt', '0001-01-01T07:00:00+08:00'),
      'orders[0].clearedAt',
      YEARS,
      '0001-01-01T07:00:00+08:00',
    ],
    [
      'a bare date whose 00:00 in Shanghai is in year 0 in UTC',
      setField('charges', 0, 'at', '0001-01-01'),
      'charges[0].at',
      YEARS,
      '0001-01-01',
    ],
    [
      'a flag from year 0 in UTC',
      (s) => {
        flag(s).from = '0001-01-01T07:00:00+08:00';
      },
      'merchants[0].riskFlags[0].from',
      YEARS,
      '0001-01-01T07:00:00+08:00',
    ],
    [
      'an asOf in year 10000 in UTC',
      (s) => {
        s.asOf = '9999-12-31T23:59:59-08:00';
      },
      'asOf',
      YEARS,
      '9999-12-31T23:59:59-08:00',
    ],
    [
      'a NUL in a merchant id',
      setField('merchants', 0, 'id', 'M-\u0000X'),
      'merchants[0].id',
      NUL,
      'M-\u0000X',
    ],
    [
      'a NUL in an order type',
      setField('orders', 0, 'type', 'TA3N\u0000'),
      'orders[0].type',
      NUL,
      'TA3N\u0000',
    ],
    [
      'a NUL in a settlement account',
      setField('settlements', 0, 'account', '\u0000'),
      'settlements[0].account',
      NUL,
      '\u0000',
    ],
    [
      'a service in lower case',
      setField('orders', 0, 'service', '3+n'),
      'orders[0].service',
      SERVICE,
      '3+n',
    ],
    [
      'a service SPEC §8 does not name',
      setField('orders', 0, 'service', '4+N'),
      'orders[0].service',
      SERVICE,
      '4+N',
    ],
    [
      'a currency code in lower case',
      setField('settlements', 0, 'currency', 'usd'),
      'settlements[0].currency',
      CURRENCY,
      'usd',
    ],
    [
      'a currency name',
      setField('settlements', 0, 'currency', 'DOLLAR'),
      'settlements[0].currency',
      CURRENCY,
      'DOLLAR',
    ],
  ];

  it.each(cases)(
    'refuses %s, naming the field and the value',
    (_name, edit, path, message, value) => {
      const scenario = specExample();
      edit(scenario);
      const checked = checkScenario(scenario);
      expect(checked.ok ? [] : checked.issues).toEqual([{ path, message, value }]);
    },
  );

  it.each<[string, Edit]>([
    [
      'a clearance at the first instant the store holds',
      setField('orders', 0, 'clearedAt', '0001-01-01T00:00:00Z'),
    ],
    [
      'an asOf at the last instant it holds',
      (s) => {
        s.asOf = '9999-12-31T23:59:59.999Z';
      },
    ],
    [
      'a flag over the whole range',
      (s) => {
        flag(s).from = '0001-01-01T00:00:00Z';
        flag(s).to = '9999-12-31T23:59:59.999Z';
      },
    ],
    ['a 2+N order', setField('orders', 0, 'service', '2+N')],
    [
      'a EUR settlement, which SPEC §9 gives the reason currency',
      setField('settlements', 0, 'currency', 'EUR'),
    ],
    ['a GBP settlement', setField('settlements', 0, 'currency', 'GBP')],
    [
      'an account other than export, which SPEC §9 gives the reason account',
      setField('settlements', 0, 'account', 'agency-export'),
    ],
    [
      'an FX rating other than A, B or C, which SPEC leaves open',
      setField('merchants', 0, 'fxRating', 'D'),
    ],
  ])('accepts %s', (_name, edit) => {
    const scenario = specExample();
    edit(scenario);
    const checked = checkScenario(scenario);
    expect(checked.ok ? [] : checked.issues).toEqual([]);
  });
});
