/**
 * `kadende completion bash|zsh`: a completion script made from commander's own command tree, so it
 * lists exactly the commands and flags this kadende has. zsh runs the bash function through
 * bashcompinit (zsh's own emulation of bash completion).
 */
import type { Command } from 'commander';
import { kadendeError } from '../../../errors/index.js';

/** Every command path ('' for the top), with the words that may follow it: subcommands, then flags. */
function commandTree(command: Command, path = ''): Array<{ path: string; words: string[] }> {
  const visible = command.commands.filter((c) => c.name() !== 'help');
  const flags = command.options.flatMap((o) => [o.long, o.short].filter((f): f is string => f !== undefined));
  const words = [...visible.map((c) => c.name()), ...flags, '--help'];
  return [{ path, words }, ...visible.flatMap((c) => commandTree(c, `${path}/${c.name()}`))];
}

export function bashCompletion(program: Command): string {
  const tree = commandTree(program);
  const globalFlags = program.options.flatMap((o) => [o.long, o.short].filter((f): f is string => f !== undefined));
  const known = tree.filter((t) => t.path !== '').map((t) => `"${t.path}"`);
  const cases = tree.map((t) => `    "${t.path}") words="${[...new Set([...t.words, ...(t.path === '' ? [] : globalFlags)])].join(' ')}" ;;`);
  return `# kadende completion for bash (kadende completion bash); made from kadende's command tree.
_kadende() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" path="" word words i
  for ((i = 1; i < COMP_CWORD; i++)); do
    word="\${COMP_WORDS[i]}"
    case "$path/$word" in
      ${known.join('|')}) path="$path/$word" ;;
    esac
  done
  case "$path" in
${cases.join('\n')}
  esac
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -o default -F _kadende kadende
`;
}

export function registerCompletion(program: Command): void {
  program
    .command('completion')
    .description('print a shell completion script: source <(kadende completion bash), or in ~/.zshrc: source <(kadende completion zsh)')
    .argument('<shell>', 'bash | zsh')
    .action((shell: string) => {
      if (shell === 'bash') return void process.stdout.write(bashCompletion(program));
      if (shell === 'zsh') return void process.stdout.write(`# kadende completion for zsh: bash's, through zsh's bashcompinit.\nautoload -U +X bashcompinit && bashcompinit\n${bashCompletion(program)}`);
      throw kadendeError('KADENDE_ERR_ARGUMENT', `completion takes bash or zsh, got "${shell}"`);
    });
}
