import { expect, test } from '@playwright/test';
import type { CalendarEntry, JumpRebate, Merchant, Page, RulebookVersion } from '../src/api/types';
import { api, apiStatus, signIn, state } from './helpers';

test.describe('operator console', () => {
  test('lists the merchants who climbed at an assessment, with their rebate', async ({ page }) => {
    const token = state.operatorToken;
    // The latest assessment that ran with a jump, and its first jump, as the API gives them.
    const calendar = await api<{ items: CalendarEntry[] }>(token, '/v1/assessments');
    let found: { entry: CalendarEntry; jump: JumpRebate } | null = null;
    for (const entry of calendar.items.filter((e) => e.status === 'done').reverse()) {
      const jumps = await api<Page<JumpRebate>>(
        token,
        `/v1/assessments/${encodeURIComponent(entry.service)}/${entry.quarter}/jump-rebates`,
      );
      const jump = jumps.items[0];
      if (jump !== undefined) {
        found = { entry, jump };
        break;
      }
    }
    if (found === null) throw new Error('no assessment of the demo data has a jump');
    const { entry, jump } = found;

    await signIn(page, token);
    await page.goto(`${state.baseUrl}/console/assessments`);
    await page.getByRole('button', { name: entry.quarter, exact: true }).click();

    const row = page.getByRole('row').filter({ has: page.getByTestId(`jump-${jump.merchantId}`) });
    await expect(row).toContainText(jump.merchantId);
    await expect(page.getByTestId(`jump-${jump.merchantId}`)).toContainText(
      `${jump.fromLevel} → ${jump.toLevel}`,
    );
    await expect(row).toContainText(jump.status === 'issued' ? '已发放' : '未发放');
    if (jump.couponId !== null) await expect(row).toContainText(jump.couponId);
  });

  test('uploads a CSV with one bad row, sees it rejected, then publishes a rulebook draft', async ({
    page,
  }) => {
    const token = state.operatorToken;
    const [merchant] = (await api<{ items: Merchant[] }>(token, '/v1/merchants?limit=1')).items;
    if (merchant === undefined) throw new Error('no merchant in the demo data');
    const stamp = Date.now().toString(36).toUpperCase();
    const ids = [1, 2, 3].map((n) => `O-E2E-${stamp}-${n}`);
    const csv = [
      'id,merchantId,service,type,amountUsd,clearedAt,usdCny',
      `${ids[0]},${merchant.id},3+N,TA3N,1200.50,2025-03-20T10:00:00+08:00,7.1000`,
      `${ids[1]},${merchant.id},3+N,TA3N,-5,2025-03-20T11:00:00+08:00,7.1000`,
      `${ids[2]},${merchant.id},3+N,OT3N,800.00,2025-03-20T12:00:00+08:00,`,
      '',
    ].join('\r\n');

    await signIn(page, token);
    await expect(page.getByTestId('whoami')).toHaveText('运营人员');

    // Upload: the bad row (line 3 of the file) is listed with its reason; the others go in.
    await page.getByRole('menuitem', { name: '导入数据' }).click();
    await page
      .locator('input[type=file]')
      .setInputFiles({ name: 'orders.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    await expect(page.getByRole('cell', { name: 'orders.csv', exact: true }).first()).toBeVisible();
    await page.getByRole('button', { name: /开始导入/ }).click();
    await expect(page.getByTestId('import-status')).toHaveText('已处理 3 / 3 行');
    const rejected = page.getByTestId('rejected-rows');
    await expect(rejected.getByRole('row')).toHaveCount(2);
    await expect(rejected.getByRole('row').nth(1)).toContainText('orders.csv');
    await expect(rejected.getByRole('row').nth(1).getByRole('cell').nth(1)).toHaveText('3');
    await expect(rejected.getByRole('row').nth(1)).toContainText('amountUsd');
    await expect(page.getByText('1 处问题，相关行未导入')).toBeVisible();
    expect(await apiStatus(token, `/v1/orders/${ids[0]}`)).toBe(200);
    expect(await apiStatus(token, `/v1/orders/${ids[1]}`)).toBe(404);
    expect(await apiStatus(token, `/v1/orders/${ids[2]}`)).toBe(200);

    // Publish a draft: the latest version copied with the next number, from a chosen instant.
    const before = (await api<{ items: RulebookVersion[] }>(token, '/v1/rulebooks')).items;
    const latest = before.reduce((a, b) => (b.version > a.version ? b : a));
    const nextKey = `${latest.id}@${latest.version + 1}`;

    await page.getByRole('menuitem', { name: '规则版本' }).click();
    await page.getByRole('button', { name: `以 ${latest.key} 为基础起草` }).click();
    await expect(page.getByLabel('规则文档（JSON）')).toHaveValue(
      new RegExp(`"version": ${latest.version + 1}`),
    );
    const effective = page.getByLabel('生效时刻（北京时间）');
    await effective.click();
    await effective.fill('2025-03-31 12:00');
    await effective.press('Enter');
    await expect(effective).toHaveValue('2025-03-31 12:00');

    await page.getByRole('button', { name: /校\s*验/ }).click();
    await expect(page.getByText(`校验通过：${nextKey}`)).toBeVisible();
    await page.getByRole('button', { name: /发\s*布/ }).click();
    await expect(page.getByText('将从 2025-03-31 12:00 起生效，发布后不可修改。')).toBeVisible();
    await page
      .getByRole('tooltip')
      .getByRole('button', { name: /发\s*布/ })
      .click();
    await expect(page.getByTestId('published')).toContainText(nextKey);

    const after = (await api<{ items: RulebookVersion[] }>(token, '/v1/rulebooks')).items;
    const published = after.find((v) => v.key === nextKey);
    expect(published?.effectiveFrom).toBe('2025-03-31T12:00:00+08:00');
    await expect(page.getByRole('cell', { name: nextKey, exact: true })).toBeVisible();
  });
});
