import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { completionTree, type CompletionNode } from '../../src/completion/tree.js';
import { Context } from '../../src/context.js';
import { createProgram } from '../../src/program.js';
import { memoryIO } from '../helpers/memory-io.js';
import { runCli, tempDir } from '../helpers/run-cli.js';

const exec = promisify(execFile);

async function hasShell(name: string): Promise<boolean> {
  try {
    await exec(name, ['-c', 'exit 0']);
    return true;
  } catch {
    return false;
  }
}

// bash is everywhere we run; zsh and fish are checked where they are installed.
const HAS_ZSH = await hasShell('zsh');
const HAS_FISH = await hasShell('fish');

async function tree(): Promise<CompletionNode> {
  return completionTree(await createProgram(new Context(memoryIO(), {}), { all: true }));
}

function allNodes(node: CompletionNode): CompletionNode[] {
  return [node, ...node.subcommands.flatMap(allNodes)];
}

async function script(shell: string): Promise<string> {
  const r = await runCli(['completion', shell]);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout;
}

describe('completion', () => {
  it('walks the real command tree, nested subcommands included', async () => {
    const root = await tree();
    const names = root.subcommands.map((c) => c.name);
    for (const expected of ['price', 'upload', 'submit', 'get', 'wait', 'gate', 'feedback', 'login', 'logout', 'config', 'doctor', 'sandbox', 'verify-signature', 'completion']) {
      expect(names).toContain(expected);
    }
    const config = root.subcommands.find((c) => c.name === 'config')!;
    expect(config.subcommands.map((c) => c.name)).toEqual(expect.arrayContaining(['get', 'set', 'unset', 'list', 'path']));
    const gate = root.subcommands.find((c) => c.name === 'gate')!;
    expect(gate.subcommands.map((c) => c.name)).toContain('merge');
    expect(gate.files).toBe(true);
    const taskType = gate.options.find((o) => o.names.includes('--task-type'))!;
    expect(taskType.takesValue).toBe(true);
    expect(gate.options.find((o) => o.names.includes('--dry-run'))!.takesValue).toBe(false);
  });

  for (const shell of ['bash', 'zsh', 'fish']) {
    it(`${shell}: names every command and every flag of the program`, async () => {
      const text = await script(shell);
      for (const node of allNodes(await tree())) {
        expect(text).toContain(node.name);
        for (const option of node.options) {
          for (const name of option.names) {
            // fish spells flags as `-l task-type` / `-s V`.
            const spelled = shell === 'fish' ? (name.startsWith('--') ? `-l ${name.slice(2)}` : `-s ${name.slice(1)}`) : name;
            expect(text, `${node.path} ${name}`).toContain(spelled);
          }
        }
      }
      expect(text).toContain('task-type');
    });
  }

  it('bash: the script is valid bash and completes commands, flags, subcommands and values', async () => {
    const text = await script('bash');
    const dir = tempDir('rfe-completion-');
    const file = path.join(dir, 'runflow-eval.bash');
    fs.writeFileSync(file, text);
    await exec('bash', ['-n', file]);
    fs.writeFileSync(path.join(dir, 'shot one.png'), '');

    // Drive the completion function the way bash does: COMP_WORDS/COMP_CWORD in, COMPREPLY out.
    const complete = async (...words: string[]) => {
      const quoted = words.map((w) => `'${w}'`).join(' ');
      const probe = `source '${file}'; COMP_WORDS=(runflow-eval ${quoted}); COMP_CWORD=${words.length}; _runflow_eval; printf '%s\\n' "\${COMPREPLY[@]}"`;
      const { stdout } = await exec('bash', ['-c', probe], { cwd: dir });
      return stdout.split('\n').filter(Boolean);
    };
    expect(await complete('')).toEqual(expect.arrayContaining(['submit', 'gate', 'doctor', 'completion', 'verify-signature']));
    expect(await complete('ga')).toEqual(['gate']);
    expect(await complete('gate', '--task')).toEqual(['--task-type', '--task-description']);
    expect(await complete('config', '')).toEqual(['get', 'set', 'unset', 'list', 'path']);
    expect(await complete('config', 'set', '')).toEqual(['base-url', 'org-id']);
    expect(await complete('completion', '')).toEqual(['bash', 'zsh', 'fish']);
    expect((await complete('gate', 'merge', '--j')).sort()).toEqual(['--json', '--json-file', '--junit']);
    // A flag's value is not mistaken for a subcommand: `--task-type merge` stays in gate.
    expect(await complete('gate', '--task-type', 'merge', '--dry')).toEqual(['--dry-run']);
    // Image arguments complete file names, whole even with a space.
    expect(await complete('submit', 'sho')).toEqual(['shot one.png']);
  });

  it('zsh: a #compdef script that registers itself when sourced', async () => {
    const text = await script('zsh');
    expect(text.startsWith('#compdef runflow-eval\n')).toBe(true);
    expect(text).toContain('compdef _runflow_eval runflow-eval');
  });

  it.skipIf(!HAS_ZSH)('zsh: valid syntax, and completes the right words for where the cursor is', async () => {
    const dir = tempDir('rfe-completion-');
    const file = path.join(dir, '_runflow-eval');
    fs.writeFileSync(file, await script('zsh'));
    await exec('zsh', ['-n', file]);
    // Outside an interactive shell the completion system is absent: stand-ins record what the
    // script asks it to offer.
    const probe = `
      compdef() {}
      _describe() { print -r -- "$2: \${(@P)4}" }
      compadd() { shift; print -r -- "values: \${(@P)1}" }
      _files() { print -r -- "files" }
      source '${file}'
      t() { words=(runflow-eval "$@"); CURRENT=\${#words}; _runflow_eval; print -- '--' }
      t ''
      t config get ''
      t gate --task-type merge --dr
      t submit ''
    `;
    const { stdout } = await exec('zsh', ['-c', probe]);
    const [top, configGet, gateFlags, submit] = stdout.split('--\n');
    expect(top).toMatch(/^commands: .*\bgate:submit images/);
    expect(top).toContain('verify-signature:');
    expect(configGet).toBe('values: api-key base-url org-id\n');
    expect(gateFlags).toMatch(/^options: .*--dry-run:/);
    expect(submit).toBe('files\n');
  });

  it('fish: complete lines per command', async () => {
    const text = await script('fish');
    expect(text).toMatch(/complete -c runflow-eval -n '__runflow_eval_at runflow-eval' -f -a 'gate' -d '[^']+'/);
    expect(text).toContain("-n '__runflow_eval_at runflow-eval/config' -f -a 'get'");
  });

  it.skipIf(!HAS_FISH)('fish: valid syntax, and completes the right words for where the cursor is', async () => {
    const dir = tempDir('rfe-completion-');
    const file = path.join(dir, 'runflow-eval.fish');
    fs.writeFileSync(file, await script('fish'));
    await exec('fish', ['--no-execute', file]);
    fs.writeFileSync(path.join(dir, 'shot one.png'), '');
    const complete = async (line: string) => {
      const { stdout } = await exec('fish', ['--no-config', '-c', `source '${file}'; complete -C '${line}'`], { cwd: dir });
      return stdout.split('\n').filter(Boolean).map((l) => l.split('\t')[0]);
    };
    expect(await complete('runflow-eval ga')).toEqual(['gate']);
    expect(await complete('runflow-eval gate --ta')).toEqual(['--task-description', '--task-type']);
    expect(await complete('runflow-eval config ')).toEqual(['get', 'list', 'path', 'set', 'unset']);
    expect(await complete('runflow-eval config set ')).toEqual(['base-url', 'org-id']);
    expect(await complete('runflow-eval gate --task-type merge --dr')).toEqual(['--dry-run']);
    expect(await complete('runflow-eval submit sh')).toEqual(['shot one.png']);
  });

  it('refuses an unknown shell with exit 2, naming the choices', async () => {
    const r = await runCli(['completion', 'powershell']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('bash, zsh, fish');
  });
});
