import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect, type Page, test } from '@playwright/test';
import { AS_OF_DAY, merchants, signIn, state } from './helpers';
import { REPO } from './server';

/**
 * Screenshots of the main pages in both languages, with the demo data, into
 * docs/screenshots/. Run by `npm run screenshots` (LADDER_SCREENSHOTS=1);
 * skipped in the ordinary browser tests. Chinese text needs a CJK font on
 * the machine (Debian: fonts-noto-cjk).
 */

const OUT = join(REPO, 'docs', 'screenshots');
const LANGS = ['zh-CN', 'en'] as const;

test.skip(!process.env.LADDER_SCREENSHOTS, 'screenshots are taken by npm run screenshots');
test.use({ viewport: { width: 1280, height: 800 }, contextOptions: { reducedMotion: 'reduce' } });

async function inLanguage(page: Page, lang: (typeof LANGS)[number]): Promise<void> {
  await page.evaluate((value) => localStorage.setItem('ladder.lang', value), lang);
}

async function shoot(
  page: Page,
  name: string,
  lang: string,
  options: { fullPage?: boolean } = {},
): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  await page.waitForLoadState('networkidle');
  await expect(page.locator('[aria-busy="true"]')).toHaveCount(0);
  await page.screenshot({
    path: join(OUT, `${name}.${lang}.png`),
    fullPage: options.fullPage ?? false,
  });
}

test('sign-in page', async ({ page }) => {
  await page.goto(`${state.baseUrl}/sign-in`);
  for (const lang of LANGS) {
    await inLanguage(page, lang);
    await page.reload();
    await shoot(page, 'sign-in', lang);
  }
});

test('merchant workbench', async ({ page }) => {
  const [holder] = merchants();
  if (holder === undefined) throw new Error('no merchant token');
  await signIn(page, holder.token, holder.id);
  for (const lang of LANGS) {
    await inLanguage(page, lang);
    await page.goto(`${state.baseUrl}/workbench?at=${AS_OF_DAY}`);
    await expect(page.getByTestId('level-3+N')).toBeVisible();
    await shoot(page, 'workbench', lang, { fullPage: true });

    // A fee's explanation, one click away.
    await page.getByRole('tab').nth(1).click();
    await page.getByRole('tabpanel').locator('.explain-link').first().click();
    await expect(page.getByRole('dialog').getByTestId('explanation')).toBeVisible();
    await shoot(page, 'workbench-explain', lang);
  }

  await page.setViewportSize({ width: 390, height: 844 });
  for (const lang of LANGS) {
    await inLanguage(page, lang);
    await page.goto(`${state.baseUrl}/workbench?at=${AS_OF_DAY}`);
    await expect(page.getByTestId('level-3+N')).toBeVisible();
    await shoot(page, 'workbench-phone', lang);
  }
});

test('operator console', async ({ page }) => {
  const [holder] = merchants();
  await signIn(page, state.operatorToken);
  for (const lang of LANGS) {
    await inLanguage(page, lang);
    await page.goto(`${state.baseUrl}/console/assessments`);
    await expect(page.locator('.recharts-bar-rectangle').first()).toBeVisible();
    await shoot(page, 'assessments', lang, { fullPage: true });

    await page.goto(`${state.baseUrl}/console/cost`);
    await expect(page.locator('.recharts-bar-rectangle').first()).toBeVisible();
    await shoot(page, 'cost', lang, { fullPage: true });

    await page.goto(`${state.baseUrl}/console/rulebooks`);
    await expect(page.getByRole('table').first()).toBeVisible();
    await shoot(page, 'rulebooks', lang, { fullPage: true });

    await page.goto(`${state.baseUrl}/merchants/${holder?.id ?? ''}?at=${AS_OF_DAY}`);
    await expect(page.getByTestId('level-3+N')).toBeVisible();
    await page.getByRole('tab').last().click();
    await shoot(page, 'merchant-operator', lang, { fullPage: true });

    await page.goto(`${state.baseUrl}/console/import`);
    const csv = [
      'id,merchantId,service,type,amountUsd,clearedAt,usdCny',
      `O-SHOT-${lang}-1,${holder?.id ?? ''},3+N,TA3N,1200.50,2025-03-20T10:00:00+08:00,7.1000`,
      `O-SHOT-${lang}-2,${holder?.id ?? ''},3+N,TA3N,-5,2025-03-20T11:00:00+08:00,7.1000`,
      '',
    ].join('\r\n');
    await page
      .locator('input[type=file]')
      .setInputFiles({ name: 'orders.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    await page.locator('.ant-btn-primary').first().click();
    await expect(page.getByTestId('rejected-rows')).toBeVisible();
    await shoot(page, 'import', lang, { fullPage: true });
  }
});
