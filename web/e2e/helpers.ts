import { expect, type Page } from '@playwright/test';
import { readState } from './server';

export { AS_OF_DAY } from './server';

export const state = readState();

/** A GET on the API with a token, for the values the page must show. */
export async function api<T>(token: string, path: string): Promise<T> {
  const response = await fetch(`${state.baseUrl}${path}`, {
    headers: { Authorization: `Bearer ${token}` },
  });
  if (!response.ok) throw new Error(`GET ${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

export async function apiStatus(token: string, path: string): Promise<number> {
  const response = await fetch(`${state.baseUrl}${path}`, {
    headers: { Authorization: `Bearer ${token}` },
  });
  await response.body?.cancel();
  return response.status;
}

/** The merchants the global setup made tokens for: the first holds the most coupons. */
export function merchants(): { id: string; token: string }[] {
  return Object.entries(state.merchantTokens).map(([id, token]) => ({ id, token }));
}

/**
 * Signs in through the page as a user would: pastes the token and, when the
 * server cannot say whose token it is, the merchant id the page asks for.
 */
export async function signIn(page: Page, token: string, merchantId?: string): Promise<void> {
  await page.goto(`${state.baseUrl}/sign-in`);
  await page.getByLabel('API 令牌').fill(token);
  await page.getByRole('button', { name: /登\s*录/ }).click();
  const idField = page.getByLabel('商家编号');
  const signedIn = page.getByTestId('whoami');
  await expect(idField.or(signedIn)).toBeVisible();
  if (merchantId !== undefined && (await idField.isVisible())) {
    await idField.fill(merchantId);
    await page.getByRole('button', { name: /登\s*录/ }).click();
  }
  await expect(signedIn).toBeVisible();
}

/** `"1234.5"` → `"1,234.50"`, written independently of the app's own formatter. */
export function grouped(decimal: string): string {
  const [whole = '0', fraction = ''] = decimal.replace('-', '').split('.');
  const digits = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${decimal.startsWith('-') ? '-' : ''}${digits}.${fraction.padEnd(2, '0')}`;
}
