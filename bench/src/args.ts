// Command-line options of the standalone benches (`--name=value`).

/** The value of `--name=…`, or undefined. */
export function argValue(name: string, argv: string[] = process.argv): string | undefined {
  return argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
}

/** A positive number option, `dflt` when absent; throws a clear message otherwise. */
export function positiveArg(name: string, dflt: number, argv: string[] = process.argv): number {
  const v = argValue(name, argv);
  const n = v === undefined ? dflt : Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number`);
  return n;
}
