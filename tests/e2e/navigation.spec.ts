// Moving around the app (src/browser/location.rs, src/app/routes.rs): the tabs and in-app links
// change the page without reloading it, the current tab is marked, the browser's back and forward
// buttons move between pages, an unknown path says so, and a link that is not one of the app's
// pages is left to the browser.
import { test, expect, byId } from './replay';

test('tabs and links move within the page; back and forward follow; the current tab is marked', async ({ page, replay }) => {
  const server = await replay({ scenario: 'a_success', speed: 4 });
  await page.goto(server.url);
  await expect(byId(page, 'current-run')).toBeVisible();
  const tab = (name: string) => page.locator('nav.tabs a', { hasText: name });
  await expect(tab('Live')).toHaveAttribute('aria-current', 'page');
  // A page that reloads loses this; a page the app changes keeps it.
  await page.evaluate(() => ((window as unknown as { stayed: number }).stayed = 1));

  await tab('History').click();
  await expect(byId(page, 'history-list')).toBeVisible();
  await expect(page).toHaveURL(/\/history$/);
  await expect(tab('History')).toHaveAttribute('aria-current', 'page');
  await expect(tab('Live')).not.toHaveAttribute('aria-current', /./);

  await tab('Settings').click();
  await expect(page).toHaveURL(/\/settings$/);
  await expect(tab('Settings')).toHaveAttribute('aria-current', 'page');

  await page.goBack();
  await expect(page).toHaveURL(/\/history$/);
  await expect(byId(page, 'history-list')).toBeVisible();
  await expect(tab('History')).toHaveAttribute('aria-current', 'page');
  await page.goBack();
  await expect(byId(page, 'current-run')).toBeVisible();
  await page.goForward();
  await expect(byId(page, 'history-list')).toBeVisible();
  expect(await page.evaluate(() => (window as unknown as { stayed?: number }).stayed)).toBe(1);

  // A run's page stays marked under the History tab, and its link back leads to the list.
  await page.goto(`${server.url}/history/not-a-stored-run`);
  await expect(tab('History')).toHaveAttribute('aria-current', 'page');
  await page.locator('main a', { hasText: 'All runs' }).click();
  await expect(byId(page, 'history-list')).toBeVisible();
});

test('an unknown path says so; a link outside the app is left to the browser', async ({ page, replay }) => {
  const server = await replay({ scenario: 'a_success', speed: 4 });
  await page.goto(`${server.url}/no-such-page`);
  await expect(page.getByText('This page does not exist.')).toBeVisible();
  await expect(page.locator('nav.tabs a[aria-current]')).toHaveCount(0);

  // A same-origin link to something that is not a page of the app (as ComfyUI's /view images are)
  // is a real navigation: the app does not render its "does not exist" page for it.
  await page.evaluate(() => {
    const a = document.createElement('a');
    a.href = '/api/queue';
    a.textContent = 'outside';
    a.id = 'outside';
    document.querySelector('main')?.append(a);
  });
  await page.locator('#outside').click();
  await expect(page).toHaveURL(/\/api\/queue$/);
  await expect(page.locator('nav.tabs')).toHaveCount(0);
});
