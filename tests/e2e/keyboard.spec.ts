// A keyboard-only walk: after the recording has played, every step below is a key press. The
// test reads the page (which element has focus, what is shown) but never clicks.
import type { Page } from '@playwright/test';
import { test, expect, byId } from './replay';
import { RUN, LONG, waitForRunEnd } from './helpers';

/** Presses `key` until the focused element matches `selector` (at most `max` presses). */
async function pressUntil(page: Page, key: string, selector: string, max = 60): Promise<void> {
  for (let i = 0; i < max; i++) {
    if (await page.evaluate((s) => document.activeElement?.matches(s) ?? false, selector)) return;
    await page.keyboard.press(key);
  }
  throw new Error(`${key} × ${max} never focused ${selector}`);
}

const focused = (page: Page, attr: string) => page.evaluate((a) => document.activeElement?.getAttribute(a) ?? null, attr);

test('history → run → lightbox → Escape → back, with the keyboard only', async ({ page, replay }) => {
  test.setTimeout(90_000);
  const server = await replay({ scenario: ['a_success', 'b_cached'], speed: 2 });
  await page.goto(server.url);
  await expect(byId(page, 'current-run')).toHaveAttribute('data-run-id', RUN.b_cached, { timeout: LONG });
  await waitForRunEnd(page, 'succeeded');

  await page.goto(new URL('/history', server.url).href);
  await expect(byId(page, 'history-row')).toHaveCount(2, { timeout: LONG });
  // Tab reaches the list once (one row is in the tab order), then the arrows walk it.
  await pressUntil(page, 'Tab', '[data-testid="history-row"]');
  expect(await page.locator('[data-testid="history-row"][tabindex="0"]').count()).toBe(1);
  await page.keyboard.press('Home');
  const firstId = await focused(page, 'data-run-id');
  await page.keyboard.press('ArrowDown');
  const second = await focused(page, 'data-run-id');
  expect(second).not.toBe(firstId);
  await page.keyboard.press('ArrowUp');
  expect(await focused(page, 'data-run-id')).toBe(firstId);
  if (firstId !== RUN.a_success) await page.keyboard.press('ArrowDown');
  expect(await focused(page, 'data-run-id')).toBe(RUN.a_success);
  await page.keyboard.press('Enter');
  await expect(byId(page, 'run-detail')).toHaveAttribute('data-run-id', RUN.a_success, { timeout: LONG });

  // The output's thumbnail opens the lightbox; Escape closes it and focus goes back.
  await expect(byId(page, 'artifact').locator('img')).toBeVisible({ timeout: LONG });
  await pressUntil(page, 'Tab', '[data-testid="artifact"] button');
  await page.keyboard.press('Enter');
  await expect(byId(page, 'lightbox')).toBeVisible();
  expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Close');
  await page.keyboard.press('Escape');
  await expect(byId(page, 'lightbox')).toHaveCount(0);
  expect(await page.evaluate(() => document.activeElement?.closest('[data-testid="artifact"]') !== null)).toBe(true);

  // Back to the list through the "All runs" link.
  await pressUntil(page, 'Shift+Tab', 'a[href$="/history"]');
  await page.keyboard.press('Enter');
  await expect(byId(page, 'history-row')).toHaveCount(2, { timeout: LONG });
});

test('focus is visible: every tab stop of the live page draws an outline', async ({ page, replay }, testInfo) => {
  const server = await replay({ scenario: 'a_success', speed: 2 });
  await page.goto(server.url);
  await waitForRunEnd(page, 'succeeded');
  const stops: string[] = [];
  for (let i = 0; i < 40; i++) {
    await page.keyboard.press('Tab');
    const stop = await page.evaluate(() => {
      const el = document.activeElement as HTMLElement | null;
      if (!el || el === document.body) return null;
      const s = getComputedStyle(el);
      const name = `${el.tagName.toLowerCase()}${el.dataset.testid ? `[${el.dataset.testid}]` : ''} "${(el.textContent ?? '').trim().slice(0, 20)}"`;
      return { name, outline: `${s.outlineStyle} ${s.outlineWidth}` };
    });
    // Past the last control focus leaves the page: the whole tab order has been walked.
    if (!stop) break;
    stops.push(stop.name);
    expect(stop.outline, `tab stop ${i + 1}: ${stop.name}`).not.toMatch(/^none|0px$/);
  }
  testInfo.annotations.push({ type: 'tab order', description: stops.join(' → ') });
  expect(stops.length).toBeGreaterThanOrEqual(5);
  expect(stops.some((s) => s.includes('[event-log]')), 'the event log is a tab stop').toBe(true);
});
