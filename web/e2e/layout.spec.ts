import { expect, type Locator, type Page, test } from '@playwright/test';
import { signIn, state } from './helpers';

/**
 * What must fit the screen it is shown on: every column of a console table
 * on a laptop, and a sign-out button that says what it does on a phone.
 */

/** How far `inner` reaches past the right edge of `outer`, in CSS pixels (0: it does not). */
async function overhang(outer: Locator, inner: Locator): Promise<number> {
  const [box, within] = [await outer.boundingBox(), await inner.boundingBox()];
  if (box === null || within === null) throw new Error('not on screen');
  return Math.max(0, within.x + within.width - (box.x + box.width));
}

async function switchToEnglish(page: Page): Promise<void> {
  await page.getByText('English', { exact: true }).click();
  await expect(page.locator('html')).toHaveAttribute('lang', 'en');
}

test.describe('layout', () => {
  test.use({ viewport: { width: 1280, height: 900 } });

  for (const lang of ['zh-CN', 'en'] as const) {
    test(`shows every column of the programme cost by quarter at 1280px (${lang})`, async ({
      page,
    }) => {
      await signIn(page, state.operatorToken);
      if (lang === 'en') await switchToEnglish(page);
      await page.goto(`${state.baseUrl}/console/cost`);
      const title = lang === 'en' ? 'Figures by quarter' : '各季度明细';
      const lastColumn = lang === 'en' ? 'Fee errors' : '无法计费';
      const card = page.locator('.ant-card').filter({ hasText: title });
      const table = card.locator('.ant-table-content');
      await expect(card.getByRole('row')).not.toHaveCount(0);

      // Nothing scrolled out of sight, and the last heading inside the card's table.
      const hidden = await table.evaluate((el) => el.scrollWidth - el.clientWidth);
      expect(hidden, 'the table is wider than its card').toBeLessThanOrEqual(0);
      const heading = card.getByRole('columnheader', { name: lastColumn });
      expect(await overhang(table, heading)).toBe(0);
    });
  }
});

test.describe('on a phone', () => {
  test.use({ viewport: { width: 390, height: 844 } });

  test('the sign-out button is named and labelled in both languages', async ({ page }) => {
    await signIn(page, state.operatorToken);
    // Its words are on screen, not only its accessible name: the icon alone read as "refresh".
    const zh = page.getByRole('button', { name: '退出登录', exact: true });
    await expect(zh).toBeVisible();
    await expect(zh.getByText('退出登录', { exact: true })).toBeVisible();
    expect(await overhang(page.locator('.shell-header'), zh)).toBe(0);

    await switchToEnglish(page);
    const en = page.getByRole('button', { name: 'Sign out', exact: true });
    await expect(en).toBeVisible();
    await expect(en.getByText('Sign out', { exact: true })).toBeVisible();
    expect(await overhang(page.locator('.shell-header'), en)).toBe(0);

    await en.click();
    await expect(page).toHaveURL(/\/sign-in$/);
  });
});
