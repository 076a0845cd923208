/**
 * Development tools: the mock token source, the demo page's network
 * switches, and `startDevServer`, the server with the package's demo pages.
 */

export { createDemoControls, type DemoControls } from './demo-controls.js';
export { type DevServer, type DevServerOptions, startDevServer } from './dev-server.js';
export { createMockSource, type MockSource, type MockSourceOptions } from './sources/mock.js';
