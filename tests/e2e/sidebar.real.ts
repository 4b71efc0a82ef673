// The way in from ComfyUI's own page (comfyui_telemetry/web/telemetry.js) in a REAL ComfyUI 0.3.64
// with its real front end (comfyui-frontend-package 1.27.10): the "Telemetry" sidebar tab shows the
// dashboard, live, framed from the same origin; the View menu's command opens it in a tab of its own.
import { test, expect, type Comfy } from './comfy';

const TAB_BUTTON = '.comfyui-telemetry-tab-button'; // the front end's `${tab.id}-tab-button`

/** ComfyUI's page, without the first-run template dialog over it (a per-user server setting). */
async function openComfyUI(page: import('@playwright/test').Page, server: Comfy): Promise<void> {
  const res = await fetch(`${server.url}/settings/Comfy.TutorialCompleted`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: 'true',
  });
  expect(res.status).toBe(200);
  await page.goto(`${server.url}/`);
}

test('the Telemetry sidebar tab in ComfyUI shows the live dashboard, and the View menu opens it in a new tab', async ({ page, comfy, context }) => {
  const server = await comfy({ extension: true });
  await openComfyUI(page, server);

  // The tab button sits with ComfyUI's own (queue, node library, ...); nothing is open yet.
  const button = page.locator(TAB_BUTTON);
  await expect(button).toBeVisible();
  await expect(page.getByTestId('telemetry-sidebar-frame')).toHaveCount(0);
  await button.click();

  const frameElement = page.getByTestId('telemetry-sidebar-frame');
  await expect(frameElement).toBeVisible();
  await expect(frameElement).toHaveAttribute('src', '/telemetry/ui/');
  const frame = page.frameLocator('[data-testid="telemetry-sidebar-frame"]');
  const conn = frame.getByTestId('connection-status');
  await expect(conn).toHaveAttribute('data-state', 'open');
  await expect(conn).toHaveAttribute('data-endpoint', 'telemetry');

  // Live: another client's run shows in the tab as ComfyUI finishes it.
  const id = await server.queue('success', 'another-client');
  await server.finished(id);
  const run = frame.getByTestId('current-run');
  await expect(run).toHaveAttribute('data-run-id', id);
  await expect(run).toHaveAttribute('data-status', 'succeeded');

  // Closing the tab removes the frame (and its socket); reopening shows it again.
  await button.click();
  await expect(frameElement).toHaveCount(0);
  await button.click();
  await expect(conn).toHaveAttribute('data-state', 'open');

  // The command, through ComfyUI's own menu: logo menu -> View -> "Telemetry dashboard (new tab)".
  await page.locator('.comfyui-logo-wrapper').click();
  await page.getByRole('menuitem', { name: 'View' }).hover();
  const opened = context.waitForEvent('page');
  await page.getByRole('menuitem', { name: 'Telemetry dashboard (new tab)' }).click();
  const tab = await opened;
  await tab.waitForLoadState();
  expect(tab.url()).toBe(`${server.url}/telemetry/ui/`);
  await expect(tab.getByTestId('connection-status')).toHaveAttribute('data-state', 'open');
  await tab.close();
});
