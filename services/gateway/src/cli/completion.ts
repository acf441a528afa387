// Shell completion of the admin CLI (`ctl completion bash`), derived from the usage texts
// themselves so that it never lists a command the CLI lacks or misses one it has.

/** A command of the CLI as its usage text declares it. */
export interface CompletedCommand {
  name: string;
  subcommands: string[];
  flags: string[];
  /** Values of a flag written `--flag a|b`. */
  values: Record<string, string[]>;
}

/**
 * The commands a usage text declares: lines indented by two spaces that start with a
 * command word, optionally a subcommand word, then arguments and `--flags`.
 * `extraFlags` are added to every command of this text (e.g. the janitor's `--json`).
 */
export function commandsOf(usage: string, extraFlags: string[] = []): CompletedCommand[] {
  const byName = new Map<string, CompletedCommand>();
  for (const line of usage.split('\n')) {
    const m = /^ {2}([a-z][a-z-]*)(?: ([a-z][a-z-]*))?((?: (?:<[^>]+>|\[[^\]]+\]|--[a-z-]+(?: [A-Za-z|]+)?))*)/.exec(line);
    if (!m || extraFlags.some((f) => line.trimStart().startsWith(`${m[1]} ${f}`))) continue;
    const c = byName.get(m[1]) ?? { name: m[1], subcommands: [], flags: [...extraFlags], values: {} };
    if (m[2] && !c.subcommands.includes(m[2])) c.subcommands.push(m[2]);
    for (const f of m[3].matchAll(/(--[a-z-]+)(?: ([a-z0-9]+(?:\|[a-z0-9]+)+))?/g)) {
      if (!c.flags.includes(f[1])) c.flags.push(f[1]);
      if (f[2]) c.values[f[1]] = f[2].split('|');
    }
    byName.set(c.name, c);
  }
  return [...byName.values()];
}

const words = (xs: string[]) => xs.map((x) => x.replace(/[^A-Za-z0-9_-]/g, '')).join(' ');

/** A bash completion script for `parley-ctl` (and `ctl` inside the image). */
export function bashCompletion(commands: CompletedCommand[], names = ['parley-ctl', 'ctl']): string {
  const cases = commands
    .map((c) => {
      const sub = c.subcommands.length ? `        if [ "$COMP_CWORD" -eq 2 ]; then COMPREPLY=($(compgen -W "${words(c.subcommands)}" -- "$cur")); return; fi\n` : '';
      const vals = Object.entries(c.values)
        .map(([f, v]) => `        if [ "$prev" = "${f}" ]; then COMPREPLY=($(compgen -W "${words(v)}" -- "$cur")); return; fi\n`)
        .join('');
      return `      ${c.name})\n${sub}${vals}        flags="${words(c.flags)}" ;;`;
    })
    .join('\n');
  return `# bash completion for the Parley admin CLI: source <(npm run --silent ctl -- completion bash)
_parley_ctl() {
  local cur prev cmd flags
  cur="\${COMP_WORDS[COMP_CWORD]}"
  prev="\${COMP_WORDS[COMP_CWORD-1]}"
  cmd="\${COMP_WORDS[1]}"
  COMPREPLY=()
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=($(compgen -W "${words(commands.map((c) => c.name))} help" -- "$cur"))
    return
  fi
  case "$cmd" in
${cases}
      *) flags="" ;;
  esac
  case "$cur" in
    -*) COMPREPLY=($(compgen -W "$flags --help" -- "$cur")) ;;
  esac
}
complete -F _parley_ctl ${names.join(' ')}
`;
}
