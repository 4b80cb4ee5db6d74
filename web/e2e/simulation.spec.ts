import { expect, type Page, test } from '@playwright/test';
import type { Simulation } from '../src/api/simulation-types';
import type { Page as ListPage, RulebookVersion } from '../src/api/types';
import { api, grouped, signIn, state } from './helpers';

/**
 * What if: an operator lowers LV3 from 500,000 to 400,000 USD for 2024-Q3
 * and sees exactly the merchants with a Q3 amount in [400,000, 500,000)
 * move LV2 → LV3, the cost, and one merchant's side-by-side. The movers are
 * found from the assessment itself; the figures are the API's.
 */

const QUARTER = '2024-Q3';

interface Level {
  readonly merchantId: string;
  readonly level: string;
  readonly amountUsd: string;
}

/** Picks `value` in the antd Select labelled `label`. */
async function choose(page: Page, label: string, value: string): Promise<void> {
  // A dropdown closing from the last pick may still be on screen: wait until only ours is.
  const open = page.locator('.ant-select-dropdown:visible');
  await expect(open).toHaveCount(0);
  await page.getByLabel(label).click();
  await expect(open).toHaveCount(1);
  await open.getByTitle(value, { exact: true }).click();
  await expect(page.getByLabel(label).locator('..').locator('..')).toContainText(value);
  await expect(open).toHaveCount(0);
}

/** `-3226.12` as the page writes a difference: `-¥3,226.12`, `+¥752.04`, `¥0.00`. */
function shown(difference: string): string {
  if (/^-?0\.00$/.test(difference)) return '¥0.00';
  return difference.startsWith('-')
    ? `-¥${grouped(difference.slice(1))}`
    : `+¥${grouped(difference)}`;
}

test.describe('what if', () => {
  test('an operator lowers LV3 to 400,000 USD and sees who moves and what it would cost', async ({
    page,
  }) => {
    const token = state.operatorToken;
    const levels = (
      await api<ListPage<Level>>(token, `/v1/assessments/3%2BN/${QUARTER}/levels?limit=1000`)
    ).items;
    // LV2 is [200,000, 500,000): those at 400,000 or more are the ones to move.
    const movers = levels
      .filter((l) => l.level === 'LV2' && BigInt(l.amountUsd.split('.')[0] ?? '0') >= 400_000n)
      .map((l) => l.merchantId)
      .sort();
    expect(movers.length, 'the demo data has LV2 merchants above 400,000').toBeGreaterThan(0);
    const versions = (await api<{ items: RulebookVersion[] }>(token, '/v1/rulebooks')).items;
    const first = versions.reduce((a, b) => (b.version < a.version ? b : a));

    await signIn(page, token);
    await page.getByRole('menuitem', { name: '规则模拟' }).click();
    const lv3 = page.getByLabel('LV3 起点');
    await expect(lv3).toHaveValue('500000');
    await lv3.fill('400000');
    // From the first version's instant, so the draft is in force at every assessment.
    await page.getByLabel('草稿生效时刻').fill(first.effectiveFrom);
    await choose(page, '从季度', QUARTER);
    await choose(page, '到季度', QUARTER);
    await page.getByRole('button', { name: /开始模拟/ }).click();

    await expect(page.getByTestId('sim-done')).toBeVisible({ timeout: 30_000 });
    const id = new URL(page.url()).searchParams.get('id') ?? '';
    // The form keeps what was typed once the run is done, and the result is that draft's.
    await expect(lv3).toHaveValue('400000');
    await expect(page.getByTestId('sim-view')).toContainText('"500000" → "400000"');
    const simulation = await api<Simulation>(token, `/v1/simulations/${id}`);
    const result = simulation.result;
    if (result === undefined) throw new Error(`simulation ${id} has no result`);

    // Exactly the merchants in [400,000, 500,000) move, each LV2 → LV3.
    expect(result.moves.map((m) => m.merchantId).sort()).toEqual(movers);
    expect(result.moves.every((m) => m.baseLevel === 'LV2' && m.draftLevel === 'LV3')).toBe(true);
    await expect(page.getByTestId('sim-move-count')).toHaveText(
      `${movers.length} 个商家季度的等级发生变化`,
    );
    const moves = page.getByTestId('sim-moves');
    for (const merchantId of movers) {
      await expect(moves.getByRole('button', { name: merchantId, exact: true })).toBeVisible();
    }
    const lv3Count = result.levelCounts.find((c) => c.quarter === QUARTER && c.level === 'LV3');
    await expect(page.locator('figure.chart')).toHaveAttribute(
      'aria-label',
      new RegExp(`${QUARTER} LV3: ${lv3Count?.base} → ${lv3Count?.draft}`),
    );

    // The difference: fees and rebates as the API computed them, on the totals' rows.
    const { difference } = result.totals;
    expect([difference.feeIncomeCny, difference.rebatesCny]).not.toEqual(['0.00', '0.00']);
    const totals = page.getByTestId('sim-totals');
    await expect(totals.getByRole('row', { name: /服务费收入/ })).toContainText(
      shown(difference.feeIncomeCny),
    );
    await expect(totals.getByRole('row', { name: /跃迁返利/ })).toContainText(
      shown(difference.rebatesCny),
    );

    // One mover side by side, with the reason for its new level.
    const move = result.moves.find((m) => m.merchantId === movers[0]);
    await moves.getByRole('button', { name: movers[0] ?? '', exact: true }).click();
    const side = page.getByTestId('sim-side-by-side');
    await expect(side.getByTestId('sim-why-draft')).toContainText(move?.draft?.zh ?? '');

    await page.keyboard.press('Escape');
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'CSV' }).click(),
    ]);
    expect(download.suggestedFilename()).toBe(`${id}.csv`);
    await expect(
      page
        .getByTestId('sim-history')
        .getByRole('row', { name: `${QUARTER} … ${QUARTER}` })
        .first(),
    ).toContainText('"500000" → "400000"');

    // Opened again on this simulation, by a reload or the back button, the form shows its
    // draft and quarters, not the published version beside a result it did not compute.
    const drafted = async () => {
      await expect(page.getByTestId('sim-done')).toBeVisible();
      await expect(lv3).toHaveValue('400000');
      await expect(page.getByLabel('草稿生效时刻')).toHaveValue(first.effectiveFrom);
      await expect(page.getByLabel('从季度').locator('..').locator('..')).toContainText(QUARTER);
    };
    await page.reload();
    await drafted();
    await page.getByRole('menuitem', { name: '项目成本' }).click();
    await expect(page).toHaveURL(/\/console\/cost$/);
    await page.goBack();
    await expect(page).toHaveURL(new RegExp(`\\?id=${id}$`));
    await drafted();
  });
});
