/** @module assets: finds files shipped with the package (policies, migrations) from src/ or dist/ alike. */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

/** The package root: the nearest folder above this module holding our package.json. */
export function packageRoot(): string {
  if (root) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'policies'))) return (root = dir);
    const up = dirname(dir);
    if (up === dir) throw new Error('agentprov: cannot find the package root (package.json beside policies/)');
    dir = up;
  }
}

export function assetPath(...parts: string[]): string {
  return join(packageRoot(), ...parts);
}
