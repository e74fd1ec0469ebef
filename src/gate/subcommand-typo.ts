import { existsSync } from 'node:fs';
import { UsageError } from '../errors.js';
import { editDistance } from '../util/edit-distance.js';

/**
 * `gate mrege s1.json` would treat `mrege` as an image and complain about --task-type: a first
 * argument that is no file or URL but close to a subcommand's name is most likely a typo of it.
 */
export function refuseSubcommandTypo(images: string[]): void {
  const first = images[0];
  if (first === undefined || existsSync(first) || /[/\\.:]/.test(first)) return;
  for (const sub of ['merge']) {
    if (first !== sub && editDistance(first.toLowerCase(), sub) <= 2) {
      throw new UsageError(`gate: ${JSON.stringify(first)} is neither a file nor a subcommand; did you mean \`gate ${sub}\`?`, {
        hint: `an image file named ${first} is given as ./${first}`,
      });
    }
  }
}
