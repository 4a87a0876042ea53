#compdef seclab-run
# zsh completion for seclab-run (hand-written: seclab-run parses its own options, without
# swift-argument-parser, to stay lean). Options before `--`; after it, the command's own.
_seclab_run() {
  _arguments -S \
    '--server[server URL]:url:_urls' \
    '*--credential-file[read a machine credential from a file]:file:_files' \
    '*--credential-env[read a machine credential from a variable]:variable:_parameters -g "*export*"' \
    '--override[a name in two vaults: the later credential wins]' \
    '*--env[deliver secret NAME as NEW]:NEW=NAME:' \
    '--prefix[prepend to every other environment name]:prefix:' \
    '--expand[resolve ${NAME} references between values]' \
    '*--template[render a template into an in-memory file]:SRC=VAR:_files' \
    '--json[with --dry-run: print JSON]' \
    '*--only[fetch only these names]:names:' \
    '--only-file[fetch only the names listed in a file]:file:_files' \
    '*--require[fail unless these names are present]:names:' \
    '*--file[deliver a secret as an in-memory file]:NAME[=VAR]:' \
    '--files-dir[write file secrets under a tmpfs directory]:directory:_files -/' \
    '--keep-existing[inherited variables win over secrets]' \
    '*--allow-name[allow a name of a refused family]:names:' \
    '--mask[mask secret values in the output]' \
    '--mask-min-length[do not mask shorter values]:bytes:' \
    '--no-github-mask[do not write ::add-mask:: lines]' \
    '--dry-run[print what would be injected, run nothing]' \
    '--cacert[trust this CA bundle]:file:_files' \
    '--allow-insecure-http[allow plain http to a non-loopback server]' \
    '--timeout[total seconds for the pull]:seconds:' \
    '--connect-timeout[seconds to connect]:seconds:' \
    '(- *)'{-h,--help}'[show help]' \
    '(- *)--version[print the version]' \
    '(-)*::command:_normal'
}
_seclab_run "$@"
