# bash completion for ot-risk
_ot_risk() {
  local cur prev
  cur=${COMP_WORDS[COMP_CWORD]}
  prev=${COMP_WORDS[COMP_CWORD-1]}
  case $prev in
    --cpu|--metrics|--metrics-symbols) return ;;
    --limits|--in|--out) COMPREPLY=($(compgen -f -- "$cur")); return ;;
    --in-pattern|--out-pattern) COMPREPLY=($(compgen -W "pub push" -- "$cur")); return ;;
    --fills) return ;;
    --instruments|--contract-size) return ;;
  esac
  COMPREPLY=($(compgen -W "--limits --in --in-pattern --out --out-pattern --fills --instruments --contract-size --strict --quiet --stats --metrics --metrics-symbols --cpu --help --version" -- "$cur"))
}
complete -F _ot_risk ot-risk
