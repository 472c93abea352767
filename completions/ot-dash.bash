# bash completion for ot-dash
_ot_dash() {
  local cur prev
  cur=${COMP_WORDS[COMP_CWORD]}
  prev=${COMP_WORDS[COMP_CWORD-1]}
  case $prev in
    --cpu|--metrics|--metrics-symbols|--listen|--levels|--conflate-ms) return ;;
    --in|--fills|--orders|--token-file|--cert|--key|--report) COMPREPLY=($(compgen -f -- "$cur")); return ;;
  esac
  COMPREPLY=($(compgen -W "--in --fills --orders --listen --token-file --read-only --report --cert --key --levels --conflate-ms --quiet --metrics --metrics-symbols --cpu --help --version" -- "$cur"))
}
complete -F _ot_dash ot-dash
