# bash completion for portkit
_portkit() {
  local cur prev words cword
  _init_completion || return
  local commands="lookup ranges ls who stats check wait listen scan forward free audit exporter quiz"
  if [[ $cword -eq 1 ]]; then
    COMPREPLY=($(compgen -W "$commands --color --help --version" -- "$cur"))
    return
  fi
  case "${words[1]}" in
    lookup) COMPREPLY=($(compgen -W "--all --json --help" -- "$cur")) ;;
    ranges) COMPREPLY=($(compgen -W "--json --help" -- "$cur")) ;;
    quiz) COMPREPLY=($(compgen -W "--count --seed --json --help" -- "$cur")) ;;
    ls) COMPREPLY=($(compgen -W "-t -u -4 -6 -l -a --state --port --sport --dport --pid --user --process -n --procfs --all-netns --json --help" -- "$cur")) ;;
    who) COMPREPLY=($(compgen -W "-t -u -4 -6 --pid --user --process -n --kill --signal --yes --dry-run --wait --grace --force --json --help" -- "$cur")) ;;
    stats) COMPREPLY=($(compgen -W "--threshold --top --procfs --json --help" -- "$cur")) ;;
    check) COMPREPLY=($(compgen -W "--timeout --retries --udp -4 -6 --banner --service --tls --service-timeout --all-addresses --json --help" -- "$cur")) ;;
    wait) COMPREPLY=($(compgen -W "--timeout --interval --attempt-timeout --http --closed --quiet -4 -6 --json --help" -- "$cur")) ;;
    forward) COMPREPLY=($(compgen -W "-c --config --balance --allow --deny --max-conns --idle-timeout --connect-timeout --proxy-protocol --drain --no-splice --pipe-kib -w --workers -v --verbose --json --help" -- "$cur")) ;;
    scan) COMPREPLY=($(compgen -W "-p --ports --top -u --udp -iL --exclude --rate --timeout --min-timeout --max-retries --max-inflight --sequential --banner --service -sV --service-timeout --open --json -oX -oG -4 -6 --seed --syn -sS --no-ping -Pn --ping-only -sn --ping-ports -PS --yes --help" -- "$cur")) ;;
    free) COMPREPLY=($(compgen -W "--range -c --count --proto --near --address --lowest --include-known --hold --json --help" -- "$cur")) ;;
    audit) COMPREPLY=($(compgen -W "--compose --k8s --host --ignore --map --config --fail-on --rules --procfs --probe-tls --cert-warn-days --json --help" -- "$cur")) ;;
    exporter) COMPREPLY=($(compgen -W "--listen --min-interval --probe --probe-timeout --probe-service --probe-tls --max-listening-series --max-destinations --map --ignore --procfs --once --json --help" -- "$cur")) ;;
    listen) COMPREPLY=($(compgen -W "--mode --banner --bind --count --duration --udp --quiet --json --help" -- "$cur")) ;;
  esac
  case "$prev" in
    --color) COMPREPLY=($(compgen -W "auto always never" -- "$cur")) ;;
    --state) COMPREPLY=($(compgen -W "listen established syn-sent syn-recv fin-wait-1 fin-wait-2 time-wait close-wait last-ack closing closed all connected synchronized bucket big" -- "$cur")) ;;
    --mode|-m) COMPREPLY=($(compgen -W "echo http banner discard" -- "$cur")) ;;
    --proto) COMPREPLY=($(compgen -W "tcp udp both" -- "$cur")) ;;
    --fail-on) COMPREPLY=($(compgen -W "info low medium high critical" -- "$cur")) ;;
    --compose|--k8s|--config) _filedir ;;
  esac
}
complete -F _portkit portkit
