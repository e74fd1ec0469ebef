/** The entry the binary loads: the CLI as a function, and the real process streams. */
export { main } from './main.js';
export { systemIO } from './io.js';
