import { expect, test } from '@playwright/test';
import type { Assessment, Coupon, Explanation, Workbench } from '../src/api/types';
import { AS_OF_DAY, api, apiStatus, grouped, merchants, signIn, state } from './helpers';

const AT = `${AS_OF_DAY}T23:59:59+08:00`;
const [holder, other] = merchants();

test.describe('merchant workbench', () => {
  test('signs a merchant in with its token alone: the server names the merchant', async ({
    page,
  }) => {
    if (other === undefined) throw new Error('no second merchant token');
    await page.goto(`${state.baseUrl}/sign-in`);
    await page.getByLabel('API 令牌').fill(other.token);
    await page.getByRole('button', { name: /登\s*录/ }).click();

    await expect(page.getByTestId('whoami')).toContainText(other.id);
    await expect(page.getByLabel('商家编号')).toHaveCount(0);
  });

  test('shows the level in force, the gap to the next level and the coupon balance', async ({
    page,
  }) => {
    if (holder === undefined) throw new Error('no merchant token');
    const { id, token } = holder;

    // What the engine says, from routes other than the workbench where it can.
    const levels = await api<{ items: Assessment[] }>(token, `/v1/merchants/${id}/assessments`);
    const inForce = levels.items
      .filter((a) => a.service === '3+N' && Date.parse(a.effectiveFrom) <= Date.parse(AT))
      .sort((a, b) => Date.parse(a.effectiveFrom) - Date.parse(b.effectiveFrom))
      .at(-1);
    const coupons = await api<{ balanceCny: string; items: Coupon[] }>(
      token,
      `/v1/merchants/${id}/coupons`,
    );
    const bench = await api<Workbench>(
      token,
      `/v1/merchants/${id}/workbench?at=${encodeURIComponent(AT)}`,
    );
    const quarter = bench.services.find((s) => s.service === '3+N')?.thisQuarter;
    expect(inForce, 'the merchant has a level in force').toBeDefined();
    expect(quarter?.gapUsd, 'the merchant has a next level').toBeTruthy();

    await signIn(page, token, id);
    await page.goto(`${state.baseUrl}/workbench?at=${AS_OF_DAY}`);

    await expect(page.getByRole('heading', { level: 1, name: '出口工作台' })).toBeVisible();
    await expect(page.getByTestId('level-3+N')).toHaveText(inForce?.level ?? '');
    await expect(page.getByTestId('gap-raw-3+N')).toHaveText(quarter?.gapUsd ?? '');
    await expect(page.getByTestId('gap-3+N')).toContainText(`$${grouped(quarter?.gapUsd ?? '')}`);
    await expect(page.getByTestId('gap-3+N')).toContainText(quarter?.nextLevel ?? '');
    await expect(page.getByTestId('coupon-balance')).toHaveText(coupons.balanceCny);
    await expect(page.getByText(`¥${grouped(coupons.balanceCny)}`).first()).toBeVisible();
    await expect(page.getByRole('tabpanel').getByRole('row')).toHaveCount(coupons.items.length + 1);

    // The fee caps are said to be before VAT, with the VAT-inclusive figures beside them.
    await expect(page.getByTestId('fee-caps-3+N')).toContainText('不含增值税');

    // The invoice of the quarter: totals as the API gives them, then the file.
    const invoice = await api<{ totals: { grossCny: string } }>(
      token,
      `/v1/merchants/${id}/invoice?from=2025-01-01&to=2025-03-31&format=json`,
    );
    await page.getByRole('tab', { name: '发票' }).click();
    await expect(page.getByRole('tabpanel')).toContainText(`¥${grouped(invoice.totals.grossCny)}`);
    await page.getByRole('tabpanel').getByText('XLSX', { exact: true }).click();
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: '下载发票' }).click(),
    ]);
    expect(download.suggestedFilename()).toBe(`invoice-${id}-2025-01-01-2025-03-31.xlsx`);

    // Each amount's explanation is one click away, in the page's language.
    await page.getByRole('tab', { name: '基础服务费明细' }).click();
    // The table shows ten rows a page: take a charged fee of the first page.
    const fee = bench.fees.items.slice(0, 10).find((f) => f.status === 'charged');
    if (fee !== undefined) {
      const explained = await api<Explanation>(token, `/v1/explain/fee/${fee.orderId}?lang=zh-CN`);
      await page.getByRole('button', { name: new RegExp(`${fee.orderId}.*不含税`) }).click();
      await expect(page.getByRole('dialog').getByTestId('explanation')).toHaveText(
        explained.sentence,
      );
      await page.getByRole('dialog').getByRole('button', { name: '关闭' }).click();
    }

    // English is one click away, and the explanation follows the language.
    await page.getByText('English', { exact: true }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'Export workbench' })).toBeVisible();
    await expect(page.getByTestId('gap-3+N')).toContainText('to go for');
    if (fee !== undefined) {
      const explained = await api<Explanation>(token, `/v1/explain/fee/${fee.orderId}?lang=en`);
      await page
        .getByRole('button', { name: new RegExp(`Net .* of order ${fee.orderId}`) })
        .click();
      await expect(page.getByRole('dialog').getByTestId('explanation')).toHaveText(
        explained.sentence,
      );
    }
  });

  test("cannot open another merchant's page", async ({ page }) => {
    if (holder === undefined || other === undefined)
      throw new Error('two merchant tokens are needed');
    expect(await apiStatus(holder.token, `/v1/merchants/${other.id}/workbench`)).toBe(404);

    await signIn(page, holder.token, holder.id);
    await page.goto(`${state.baseUrl}/merchants/${other.id}?at=${AS_OF_DAY}`);
    await expect(page.getByRole('alert')).toContainText('未找到');
    await expect(page.getByRole('alert')).toContainText('不属于您的商家账户');
    await expect(page.getByTestId('level-3+N')).toHaveCount(0);
    await expect(page.getByTestId('coupon-balance')).toHaveCount(0);

    // The console is not a merchant's either.
    await page.goto(`${state.baseUrl}/console/merchants`);
    await expect(page.getByText('仅限运营人员')).toBeVisible();
  });
});
