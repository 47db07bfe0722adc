import { execFileSync } from 'node:child_process';

/** The end-to-end tests drive what `npm run serve` runs: build the core and the renderer first. */
export default function setup(): void {
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  execFileSync(npm, ['run', '--silent', 'build:core'], { stdio: 'inherit' });
  execFileSync(npm, ['run', '--silent', 'build:renderer'], { stdio: 'inherit' });
}
