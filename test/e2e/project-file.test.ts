/**
 * The project file as CI uses it: the built binary, started in a subfolder of a repository,
 * finds the file at the repository root and gates what it says with nothing but `gate`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseJsonDocument, REPO, requireBuild, run, SECRET_KEY, tempDir } from './spawn.js';

beforeAll(() => {
  requireBuild();
});

function repository(config: string): string {
  const root = tempDir('rfe-e2e-project-');
  fs.mkdirSync(path.join(root, '.git'));
  fs.mkdirSync(path.join(root, 'renders', 'shoes'), { recursive: true });
  fs.mkdirSync(path.join(root, 'tools'));
  fs.copyFileSync(path.join(REPO, 'fixtures', 'good.png'), path.join(root, 'renders', 'shoes', 'good.png'));
  fs.writeFileSync(path.join(root, 'renders', 'log.txt'), 'generator log');
  fs.writeFileSync(path.join(root, 'runflow-eval.config.yaml'), config);
  return root;
}

describe('project file', () => {
  it('`gate` in a subfolder finds runflow-eval.config.yaml at the repository root and gates its glob', async () => {
    const root = repository(["task-type: product_photo", 'threshold: 0.5', "images: ['renders/**/*']", 'json-file: reports/gate.json', ''].join('\n'));
    const r = await run(['gate', '--sandbox', '--json'], { cwd: path.join(root, 'tools') });
    expect(r.code).toBe(0);
    const doc = parseJsonDocument(r.stdout);
    expect(doc.threshold).toBe(0.5);
    expect(doc.results.map((x: { image: string }) => x.image)).toEqual([path.join('renders', 'shoes', 'good.png')]);
    expect(doc.skipped).toEqual([path.join('renders', 'log.txt')]);
    expect(JSON.parse(fs.readFileSync(path.join(root, 'reports', 'gate.json'), 'utf8')).counts.total).toBe(1);
  });

  it('a key in the file exits 2 before anything is sent, without echoing it', async () => {
    const root = repository(`task-type: t\nimages: [renders]\napi-key: ${SECRET_KEY}\n`);
    const r = await run(['gate', '--sandbox'], { cwd: root });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/runflow-eval\.config\.yaml: "api-key" would hold a credential/);
  });
});
