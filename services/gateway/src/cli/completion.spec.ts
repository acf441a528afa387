// `ctl completion bash`: the script completes what the usage texts declare, in a real bash.
import { spawnSync } from 'node:child_process';
import { main } from './ctl';

async function script(): Promise<string> {
  let out = '';
  const write = process.stdout.write;
  process.stdout.write = ((chunk: string) => ((out += chunk), true)) as typeof process.stdout.write;
  try {
    expect(await main(['completion', 'bash'])).toBe(0);
  } finally {
    process.stdout.write = write;
  }
  return out;
}

/** What bash offers after typing `words` (the last one being completed). */
function complete(src: string, words: string[]): string[] {
  const line = ['parley-ctl', ...words].map((w) => `'${w}'`).join(' ');
  const r = spawnSync('bash', ['-c', `${src}\nCOMP_WORDS=(${line}); COMP_CWORD=${words.length}; _parley_ctl; printf '%s\\n' "\${COMPREPLY[@]}"`], { encoding: 'utf8' });
  expect(r.stderr).toBe('');
  return r.stdout.split('\n').filter(Boolean).sort();
}

describe('ctl completion bash', () => {
  it('completes commands, subcommands, flags and flag values from the usage', async () => {
    const src = await script();
    expect(complete(src, [''])).toEqual(
      ['account', 'online', 'sessions', 'export', 'migrate', 'completion', 'bus-config', 'bus-credentials', 'report', 'errors', 'stats', 'exempt', 'unexempt', 'sweep', 'erasures', 'help'].sort(),
    );
    expect(complete(src, ['acc'])).toEqual(['account']);
    expect(complete(src, ['account', ''])).toEqual(['add', 'delete', 'list', 'passwd']);
    expect(complete(src, ['sessions', ''])).toEqual(['end']);
    expect(complete(src, ['export', 'alice', '--'])).toEqual(['--help', '--out']);
    expect(complete(src, ['bus-credentials', '--format', ''])).toEqual(['env', 'k8s']);
    expect(complete(src, ['errors', '--'])).toEqual(['--help', '--jid', '--json', '--limit', '--since']);
    expect(complete(src, ['erasures', '--p'])).toEqual(['--pending']);
    expect(src).toMatch(/^complete -F _parley_ctl parley-ctl ctl$/m);
  });

  it('names the shell it supports', async () => {
    await expect(main(['completion', 'fish'])).rejects.toThrow(/completion bash/);
  });
});
