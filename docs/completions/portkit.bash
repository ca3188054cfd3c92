# bash completion for portkit
_portkit() {
  local cur prev words cword
  _init_completion || return
  local commands="lookup ranges check wait listen quiz"
  if [[ $cword -eq 1 ]]; then
    COMPREPLY=($(compgen -W "$commands --color --help --version" -- "$cur"))
    return
  fi
  case "${words[1]}" in
    lookup) COMPREPLY=($(compgen -W "--all --json --help" -- "$cur")) ;;
    ranges) COMPREPLY=($(compgen -W "--json --help" -- "$cur")) ;;
    quiz) COMPREPLY=($(compgen -W "--count --seed --json --help" -- "$cur")) ;;
    check) COMPREPLY=($(compgen -W "--timeout --retries --udp -4 -6 --banner --all-addresses --json --help" -- "$cur")) ;;
    wait) COMPREPLY=($(compgen -W "--timeout --interval --attempt-timeout --http --closed --quiet -4 -6 --json --help" -- "$cur")) ;;
    listen) COMPREPLY=($(compgen -W "--mode --banner --bind --count --duration --udp --quiet --json --help" -- "$cur")) ;;
  esac
  case "$prev" in
    --color) COMPREPLY=($(compgen -W "auto always never" -- "$cur")) ;;
    --mode|-m) COMPREPLY=($(compgen -W "echo http banner discard" -- "$cur")) ;;
  esac
}
complete -F _portkit portkit
