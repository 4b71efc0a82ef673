// Playwright against a real ComfyUI (tests/e2e/comfy.ts, *.real.ts): same browser setup as
// playwright.config.ts, longer timeouts (ComfyUI takes ~15 s to start on 2 cores).
import base from './playwright.config';
import { defineConfig } from '@playwright/test';

export default defineConfig({
  ...base,
  testMatch: '*.real.ts',
  timeout: 240_000,
  expect: { timeout: 30_000 },
});
