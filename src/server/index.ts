export { startApp, type App } from './app.js';
export { buildServer, type ServerDeps } from './server.js';
