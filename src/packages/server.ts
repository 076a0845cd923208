/**
 * The `ai-stream-chat-server` package's entry: the production server
 * (src/server) and the development tools it has always exported
 * (src/dev-server). `startDevServer` and `DevServer` keep their old names for
 * one release; new code uses `startServer` and `RunningServer`, and passes
 * its own `staticFiles`.
 */

export * from '../dev-server/index.js';
export * from '../server/index.js';
