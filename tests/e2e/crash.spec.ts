// A panic in the release wasm is a trap (scripts/wasm-split.sh: std built with
// -Cpanic=immediate-abort) and the app stops for good. index.html's handler then says so and offers
// a reload, instead of a page that silently stops updating. The app's own code never panics on
// purpose, so the trap here is a real one from a one-instruction module (`unreachable`), thrown
// where the app's would surface: out of a timer or event callback, and out of a promise task.
import { test, expect, byId } from './replay';
import { shot } from './helpers';
import type { Page } from '@playwright/test';

/** Runs `(func (export "f") unreachable)` where `how` says: a WebAssembly.RuntimeError escapes. */
async function trap(page: Page, how: 'callback' | 'promise'): Promise<void> {
  await page.evaluate((how) => {
    const bytes = new Uint8Array([
      0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version
      0x01, 0x04, 0x01, 0x60, 0x00, 0x00, // type: () -> ()
      0x03, 0x02, 0x01, 0x00, // one function of that type
      0x07, 0x05, 0x01, 0x01, 0x66, 0x00, 0x00, // export "f"
      0x0a, 0x05, 0x01, 0x03, 0x00, 0x00, 0x0b, // body: unreachable, end
    ]);
    const f = new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports.f as () => void;
    if (how === 'callback') setTimeout(f, 0);
    else void Promise.resolve().then(f);
  }, how);
}

for (const how of ['callback', 'promise'] as const) {
  test(`a trap out of a ${how} says the dashboard stopped, and Reload starts it again`, async ({ page, replay }, testInfo) => {
    const server = await replay({ scenario: 'a_success', speed: 4 });
    await page.goto(server.url);
    await expect(byId(page, 'current-run')).toBeVisible();
    await expect(byId(page, 'app-crashed')).toHaveCount(0);

    await trap(page, how);
    const note = byId(page, 'app-crashed');
    await expect(note).toBeVisible();
    await expect(note).toHaveAttribute('role', 'alert');
    await expect(note).toContainText('The dashboard stopped after an internal error (unreachable');
    // A second trap does not stack a second notice.
    await trap(page, how);
    await expect(byId(page, 'app-crashed')).toHaveCount(1);
    await shot(page, `crash-${how}.png`, testInfo);

    await note.getByRole('button', { name: 'Reload' }).click();
    await expect(byId(page, 'current-run')).toBeVisible();
    await expect(byId(page, 'app-crashed')).toHaveCount(0);
  });
}

test('an error that is not a trap leaves the page alone', async ({ page, replay }) => {
  const server = await replay({ scenario: 'a_success', speed: 4 });
  await page.goto(server.url);
  await expect(byId(page, 'current-run')).toBeVisible();
  await page.evaluate(() => {
    setTimeout(() => {
      throw new TypeError('not ours');
    }, 0);
    void Promise.reject(new Error('nor this'));
  });
  // Give both a turn of the event loop, then the page is unchanged.
  await page.evaluate(() => new Promise((r) => setTimeout(r, 50)));
  await expect(byId(page, 'app-crashed')).toHaveCount(0);
  await expect(byId(page, 'current-run')).toBeVisible();
});
