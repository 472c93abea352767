# bash completion for ot-book
_ot_book() {
  local cur prev
  cur=${COMP_WORDS[COMP_CWORD]}
  prev=${COMP_WORDS[COMP_CWORD-1]}
  case $prev in
    --cpu|--metrics|--metrics-symbols) return ;;
    --emit) COMPREPLY=($(compgen -W "bbo depth=5 depth=10 book book=100" -- "$cur")); return ;;
    --in|--out) COMPREPLY=($(compgen -f -- "$cur")); return ;;
    --top) return ;;
  esac
  COMPREPLY=($(compgen -W "--in --out --emit --top --pass-book --max-books --strict --stats --quiet --metrics --metrics-symbols --cpu --help --version" -- "$cur"))
}
complete -F _ot_book ot-book
