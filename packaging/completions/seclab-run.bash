# bash completion for seclab-run (hand-written: seclab-run parses its own options, without
# swift-argument-parser, to stay lean). Options before `--`; after it, the command's own.
_seclab_run() {
  local cur prev i
  cur="${COMP_WORDS[COMP_CWORD]}"
  prev="${COMP_WORDS[COMP_CWORD-1]}"
  for ((i = 1; i < COMP_CWORD; i++)); do
    if [[ "${COMP_WORDS[i]}" == "--" ]]; then
      COMP_WORDS=("${COMP_WORDS[@]:i+1}"); COMP_CWORD=$((COMP_CWORD - i - 1))
      _command_offset 0 2>/dev/null || COMPREPLY=($(compgen -c -- "$cur"))
      return
    fi
  done
  case "$prev" in
    --credential-file|--cacert|--only-file) COMPREPLY=($(compgen -f -- "$cur")); return ;;
    --credential-env) COMPREPLY=($(compgen -v -- "$cur")); return ;;
    --template) COMPREPLY=($(compgen -f -- "$cur")); return ;;
    --files-dir) COMPREPLY=($(compgen -d -- "$cur")); return ;;
    --server|--only|--require|--file|--allow-name|--mask-min-length|--timeout|--connect-timeout|--env|--prefix) return ;;
  esac
  COMPREPLY=($(compgen -W "--server --credential-file --credential-env --override --env --prefix --expand --template --json --only --only-file --require --file --files-dir --keep-existing --allow-name --mask --mask-min-length --no-github-mask --dry-run --cacert --allow-insecure-http --timeout --connect-timeout --help --version --" -- "$cur"))
}
complete -F _seclab_run seclab-run
