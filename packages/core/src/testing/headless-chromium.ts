/** Where Strata's browser tests and benchmarks find Chromium (Debian's and Ubuntu's `chromium` package). */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/**
 * Options for Playwright's `chromium.launch` / `launchPersistentContext`: headless Chromium with WebGL2 on
 * SwiftShader (so WebGL works without a GPU), no sandbox (containers), and none of the background
 * traffic (updates, sync) that would slow a test. Core does not depend on Playwright; the caller
 * imports it.
 */
export function headlessChromiumOptions(): { executablePath: string; headless: true; args: string[] } {
  return {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--use-angle=swiftshader',
      '--enable-unsafe-swiftshader',
      '--disable-gpu-sandbox',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  };
}
