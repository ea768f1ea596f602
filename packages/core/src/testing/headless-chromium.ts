/** Where Strata's browser tests and benchmarks find Chromium (Debian's and Ubuntu's `chromium` package). */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/**
 * The flags that add WebGPU on SwiftShader to `headlessChromiumOptions().args`. `--use-vulkan=swiftshader
 * --enable-features=Vulkan` as well: without them, tfjs-webgpu's synchronous read (`dataSync`, through a WebGPU
 * canvas drawn onto a 2D one) returns zeros and loses the device ("A valid external Instance reference no
 * longer exists"). Needs Debian's mesa-vulkan-drivers and libvulkan1.
 */
export const WEBGPU_CHROMIUM_ARGS: readonly string[] = [
  '--enable-unsafe-webgpu',
  '--use-webgpu-adapter=swiftshader',
  '--use-vulkan=swiftshader',
  '--enable-features=Vulkan',
];

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
