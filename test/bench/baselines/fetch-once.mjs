/**
 * Baseline for `get <id> --json`: what a user would write without the tool — one `fetch` of the
 * same URL with the same headers, the body printed as is. Usage: node fetch-once.mjs URL
 */
const res = await fetch(process.argv[2], { headers: { authorization: 'Bearer bench', accept: 'application/json' } });
process.stdout.write(await res.text());
process.exitCode = res.ok ? 0 : 1;
