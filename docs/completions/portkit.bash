# bash completion for portkit
_portkit() {
  local cur prev words cword
  _init_completion || return
  local commands="lookup ranges quiz"
  if [[ $cword -eq 1 ]]; then
    COMPREPLY=($(compgen -W "$commands --color --help --version" -- "$cur"))
    return
  fi
  case "${words[1]}" in
    lookup) COMPREPLY=($(compgen -W "--all --json --help" -- "$cur")) ;;
    ranges) COMPREPLY=($(compgen -W "--json --help" -- "$cur")) ;;
    quiz) COMPREPLY=($(compgen -W "--count --seed --json --help" -- "$cur")) ;;
  esac
  case "$prev" in
    --color) COMPREPLY=($(compgen -W "auto always never" -- "$cur")) ;;
  esac
}
complete -F _portkit portkit
